"""Settings for benchmark servers: the product's settings plus a few baseline routes.

The baseline views live in benchmarks/ so no benchmark code ships in the application.
"""

from guanxi.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"

"""Install the system rule "repeat customer stage" (new → repeat from the second order), now
that orders exist. Same installer as 0002: idempotent by template key."""

import importlib

from django.db import migrations

system_rules = importlib.import_module("guanxi.automation.migrations.0002_system_rules")


class Migration(migrations.Migration):
    dependencies = [("automation", "0003_journey_indexes"), ("deals", "0001_initial")]
    operations = [migrations.RunPython(system_rules.install, migrations.RunPython.noop)]

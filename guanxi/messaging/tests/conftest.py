import pytest

from guanxi.messaging.tests.smtp_sink import SmtpSink


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free port, with GUANXI_EMAIL_URL pointing at it."""
    sink = SmtpSink().start()
    settings.GUANXI_EMAIL_URL = sink.url
    yield sink
    sink.stop()


@pytest.fixture(autouse=True)
def _outbox(settings, tmp_path):
    settings.GUANXI_OUTBOX_DIR = tmp_path / "outbox"
    settings.GUANXI_PUBLIC_URL = "https://crm.example.com"

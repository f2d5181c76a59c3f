import pytest


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    """Each test writes its files to a folder of its own."""
    settings.GUANXI_EXPORT_DIR = tmp_path / "exports"
    return settings.GUANXI_EXPORT_DIR

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """Assertions match the English msgids, whatever the catalogue holds."""
    with translation.override("en"):
        yield

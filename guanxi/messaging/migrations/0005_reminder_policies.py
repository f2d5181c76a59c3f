"""The reminder policies of seed 003 (filled in below)."""

from django.db import migrations


def install(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("messaging", "0004_seed_templates")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]

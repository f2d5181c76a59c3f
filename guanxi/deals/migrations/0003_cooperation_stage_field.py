"""The customer's 合作阶段 (cooperation stage, seed 004's column) as a choice custom field for
every industry: a won deal sets it to 已成交 (deals.services), and the profile, imports (its
header 合作阶段 maps to it), exports and automation conditions read it like any custom field."""

from django.db import migrations

KEY = "cooperation_stage"


def create(apps, schema_editor):
    CustomFieldDefinition = apps.get_model("customers", "CustomFieldDefinition")
    CustomFieldDefinition.objects.get_or_create(
        industry=None,
        key=KEY,
        defaults={
            "label": "合作阶段",
            "label_en": "Cooperation stage",
            "field_type": "choice",
            "choices": ["意向洽谈中", "已成交"],
            "required": False,
            "order": 0,
        },
    )


def remove(apps, schema_editor):
    CustomFieldDefinition = apps.get_model("customers", "CustomFieldDefinition")
    CustomFieldDefinition.objects.filter(industry=None, key=KEY).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0002_default_stages"),
        ("customers", "0008_drop_write_only_indexes"),
    ]
    operations = [migrations.RunPython(create, remove)]

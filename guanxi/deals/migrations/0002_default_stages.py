from django.db import migrations

# (code, name, English name, default probability, kind)
STAGES = [
    ("initial", "初步接触", "Initial contact", 10, "open"),
    ("needs", "需求确认", "Needs confirmed", 25, "open"),
    ("proposal", "方案报价", "Proposal and quote", 50, "open"),
    ("negotiation", "意向洽谈中", "In negotiation", 75, "open"),
    ("won", "已成交", "Won", 100, "won"),
    ("lost", "已流失", "Lost", 0, "lost"),
]


def create(apps, schema_editor):
    DealStage = apps.get_model("deals", "DealStage")
    for order, (code, name, name_en, probability, kind) in enumerate(STAGES):
        DealStage.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "order": order,
                "probability": probability,
                "kind": kind,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

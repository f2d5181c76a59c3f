from django.db import migrations

INDUSTRIES = [
    ("manufacturing", "制造业", "Manufacturing"),
    ("retail", "零售", "Retail"),
    ("it", "信息技术", "Information technology"),
    ("finance", "金融", "Finance"),
    ("education", "教育", "Education"),
    ("healthcare", "医疗健康", "Healthcare"),
    ("logistics", "物流", "Logistics"),
    ("construction", "建筑地产", "Construction and real estate"),
    ("food", "餐饮食品", "Food and catering"),
    ("other", "其他", "Other"),
]
LEVELS = [
    ("potential", "潜在客户", "Potential"),
    ("regular", "普通客户", "Regular"),
    ("high_value", "高价值客户", "High value"),
    ("silent", "沉默客户", "Silent"),
]


def create(apps, schema_editor):
    Industry = apps.get_model("customers", "Industry")
    Level = apps.get_model("customers", "Level")
    for order, (code, name, name_en) in enumerate(INDUSTRIES):
        Industry.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "order": order})
    for order, (code, name, name_en) in enumerate(LEVELS):
        Level.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "order": order})


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

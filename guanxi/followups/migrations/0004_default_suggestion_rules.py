"""The status-suggestion rules of seed 003 (客户状态升级规则 / 根据沟通内容自动推荐状态更新):

- "已确认预算" with the expected close date within 7 days → intent high;
- "同意签订合同" → the customer's open deal to the stage 已成交 (code "won", deals/0002);
- "预算有限" → the tag 价格敏感.

Admins change or switch them off on the suggestion-rules page; a rule they removed is not
put back.
"""

from django.db import migrations

RULES = [
    ("预算已确认，近期成交 → 高意向", ["已确认预算", "确认了预算"], 7, "set_intent", "high"),
    ("同意签约 → 商机已成交", ["同意签订合同", "同意签约"], None, "deal_stage", "won"),
    ("预算有限 → 价格敏感", ["预算有限"], None, "add_tag", "价格敏感"),
]


def create(apps, schema_editor):
    KeywordRule = apps.get_model("followups", "KeywordRule")
    if KeywordRule.objects.exists():
        return
    for order, (name, keywords, days, kind, value) in enumerate(RULES):
        KeywordRule.objects.create(
            name=name, keywords=keywords, close_within_days=days, kind=kind, value=value,
            order=order,
        )


class Migration(migrations.Migration):
    dependencies = [("followups", "0003_plans_reviews_suggestions")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

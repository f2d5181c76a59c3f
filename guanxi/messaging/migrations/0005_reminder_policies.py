"""The reminder policies of seed 003 (跟进提醒规则): one per intent level.

Idempotent: a policy already there (same intent, rhythm and task) is left as an admin
edited it, so running the migration again — or after a manual insert — adds nothing.
"""

from django.db import migrations
from django.utils import timezone

# Seed 003, verbatim in meaning: the titles are data (shown to Chinese sales teams), not UI.
DEFAULT_POLICIES = [
    {
        "name": "高意向客户：每2天电话跟进",
        "intent": "high",
        "frequency": "every_n_days",
        "interval_days": 2,
        "weekday": 0,
        "task_title": "电话跟进当前需求进展",
    },
    {
        "name": "中意向客户：每周一发送产品资料",
        "intent": "medium",
        "frequency": "weekly",
        "interval_days": 7,
        "weekday": 0,  # Monday
        "task_title": "发送产品最新资料",
    },
    {
        "name": "低意向客户：每月末推送行业动态",
        "intent": "low",
        "frequency": "month_end",
        "interval_days": 30,
        "weekday": 0,
        "task_title": "推送行业动态",
    },
]


def install(apps, schema_editor):
    ReminderPolicy = apps.get_model("messaging", "ReminderPolicy")
    now = timezone.now()
    for policy in DEFAULT_POLICIES:
        exists = ReminderPolicy.objects.filter(
            intent=policy["intent"],
            frequency=policy["frequency"],
            task_title=policy["task_title"],
        ).exists()
        if not exists:
            ReminderPolicy.objects.create(
                **policy, method="in_app", is_active=True, created_at=now, updated_at=now
            )


class Migration(migrations.Migration):
    dependencies = [("messaging", "0004_seed_templates")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]

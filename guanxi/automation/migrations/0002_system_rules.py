"""Install the system rules (active) that keep derived customer data current: the activity
tags 近期高活跃 / 沉睡客户, the level 沉默客户 and the churn-risk stage (see
guanxi/automation/catalog.py, where their thresholds are set).

Written with the historical models, not the services; the definitions are validated with
definition.validate_definition, which reads no database. Idempotent by template key: a
system rule that already exists (perhaps changed by an admin since) is left as it is.
"""

from django.conf import settings
from django.db import migrations
from django.utils import timezone, translation


def install(apps, schema_editor):
    from guanxi.automation.catalog import system_rules
    from guanxi.automation.definition import next_runs, validate_definition

    Rule = apps.get_model("automation", "Rule")
    RuleVersion = apps.get_model("automation", "RuleVersion")
    now = timezone.now()
    present = set(Rule.objects.exclude(template_key="").values_list("template_key", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        for template in system_rules():
            if template.key in present:
                continue
            definition = validate_definition(template.definition)
            trigger = definition["trigger"]
            if trigger["kind"] in ("schedule", "anniversary"):
                next_run_at = next_runs(trigger, after=now)[0]
            elif trigger["kind"] == "condition":
                next_run_at = now
            else:
                next_run_at = None
            rule = Rule.objects.create(
                name=str(template.name)[:200],
                description=str(template.description),
                status="active",
                trigger_kind=trigger["kind"],
                trigger_event=trigger.get("event", ""),
                template_key=template.key,
                is_system=True,
                next_run_at=next_run_at,
            )
            version = RuleVersion.objects.create(rule=rule, number=1, definition=definition)
            rule.current_version = version
            rule.save(update_fields=["current_version"])


class Migration(migrations.Migration):
    dependencies = [("automation", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]

"""Built-in roles get the deal, order-sync and plan-approval permissions of the sales workflow.

Only built-in roles change; a custom role keeps exactly what its admin gave it.
"""

from django.db import migrations

ADDED = {
    "sales": ["deal.edit"],
    "supervisor": ["deal.edit", "order.sync", "plan.approve"],
    "finance": ["order.sync"],
    "admin": ["deal.edit", "order.sync", "plan.approve"],
}


def add_perms(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(slug__in=ADDED, is_builtin=True):
        role.permissions = [*role.permissions, *(p for p in ADDED[role.slug] if p not in role.permissions)]
        role.save(update_fields=["permissions"])


def remove_perms(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(slug__in=ADDED, is_builtin=True):
        role.permissions = [p for p in role.permissions if p not in ADDED[role.slug]]
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_automation_permissions")]
    operations = [migrations.RunPython(add_perms, remove_perms)]

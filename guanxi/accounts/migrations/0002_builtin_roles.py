from django.db import migrations

ROLES = {
    "sales": ("销售专员", "Sales", "own", ["customer.view", "customer.create", "customer.edit", "contact.view_details", "followup.record"]),
    "supervisor": ("销售主管", "Supervisor", "team", ["customer.view", "customer.create", "customer.edit", "contact.view_details", "followup.record", "customer.delete", "customer.reassign", "customer.bulk", "contact.reveal", "followup.review", "task.assign", "audit.view", "report.view"]),
    "service": ("客服", "Customer service", "own", ["customer.view", "contact.view_details", "followup.record"]),
    "marketing": ("市场", "Marketing", "all", ["customer.view", "report.view"]),
    "finance": ("财务", "Finance", "all", ["customer.view", "report.view"]),
    "admin": ("管理员", "Admin", "all", ["customer.view", "customer.create", "customer.edit", "customer.delete", "customer.reassign", "customer.bulk", "contact.view_details", "contact.reveal", "followup.record", "followup.review", "task.assign", "audit.view", "report.view", "user.manage", "role.manage", "config.manage"]),
}


def create_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for slug, (name, name_en, scope, perms) in ROLES.items():
        Role.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "name_en": name_en, "default_scope": scope, "permissions": perms, "is_builtin": True},
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]

from django.db import migrations, models

from guanxi.core.names import company_name_key

BATCH = 5000


def fill_name_keys(apps, schema_editor):
    """Existing customers get their key in batches (a demo database may hold a million)."""
    Customer = apps.get_model("customers", "Customer")
    last = 0
    while True:
        batch = list(Customer.objects.filter(pk__gt=last).order_by("pk").only("pk", "name")[:BATCH])
        if not batch:
            return
        for customer in batch:
            customer.name_key = company_name_key(customer.name)
        Customer.objects.bulk_update(batch, ["name_key"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_contact_partial_indexes")]

    operations = [
        # Plain ADD COLUMN on both databases: Django's SQLite AddField would rebuild the table,
        # which drops the name-search triggers of 0005 (and copies a million rows).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name="name_key",
                    field=models.CharField(
                        blank=True, editable=False, max_length=200, verbose_name="name key"
                    ),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE customers_customer ADD COLUMN name_key varchar(200) NOT NULL DEFAULT ''",
                    "ALTER TABLE customers_customer DROP COLUMN name_key",
                )
            ],
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["name_key"], name="customer_name_key"),
        ),
    ]

from django.conf import settings
from django.db import migrations, models

from guanxi.core.migration_ops import column_index_drop

# Each of these foreign keys leads a composite index (customer_owner_level,
# customer_team_level, customer_dept_level, customer_industry, customer_level_intent),
# which serves every lookup its single-column index served.
COVERED = ["owner", "team", "department", "industry", "level"]
# PostgreSQL's pattern_ops twins of the name and code indexes serve only case-sensitive
# LIKE 'x%', which no query uses (search: trigram index; codes: equality).


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_name_key"),
        ("accounts", "0003_transfer_permissions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.PROTECT,
                        related_name="owned_customers",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="owner",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.PROTECT,
                        related_name="customers",
                        to="accounts.team",
                        verbose_name="team",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="department",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.PROTECT,
                        related_name="customers",
                        to="accounts.department",
                        verbose_name="department",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="industry",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.PROTECT,
                        to="customers.industry",
                        verbose_name="industry",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="level",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.PROTECT,
                        to="customers.level",
                        verbose_name="level",
                    ),
                ),
            ],
            database_operations=[
                column_index_drop(app_label="customers", model_name="customer", fields=COVERED)
            ],
        ),
        column_index_drop(
            app_label="customers", model_name="customer", fields=["name", "code"], like_only=True
        ),
    ]

from django.conf import settings
from django.db import migrations, models

from guanxi.core.migration_ops import column_index_drop


class Migration(migrations.Migration):
    """customer and actor lead activity_customer_time and activity_actor_time, which serve
    every lookup their single-column indexes served; every audited write paid for both."""

    dependencies = [
        ("activity", "0003_verbs_merged_dismissed"),
        ("customers", "0008_drop_write_only_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="activityevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=models.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="actor",
                    ),
                ),
                migrations.AlterField(
                    model_name="activityevent",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=models.DO_NOTHING,
                        related_name="activity",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
            ],
            database_operations=[
                column_index_drop(
                    app_label="activity", model_name="activityevent", fields=["actor", "customer"]
                )
            ],
        ),
    ]

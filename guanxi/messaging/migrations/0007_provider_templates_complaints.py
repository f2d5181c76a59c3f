"""SMS templates may name the provider's own approved template and its variables (per
version; a message keeps what was rendered for it), and a spam complaint (ARF feedback
report) is a message event."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('messaging', '0006_coupon_when_given'),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='provider_template',
            field=models.JSONField(blank=True, default=dict, verbose_name='provider template'),
        ),
        migrations.AddField(
            model_name='templateversion',
            name='provider_params',
            field=models.JSONField(blank=True, default=list, verbose_name='provider template variables'),
        ),
        migrations.AddField(
            model_name='templateversion',
            name='provider_template_code',
            field=models.CharField(blank=True, max_length=64, verbose_name='provider template code'),
        ),
        migrations.AlterField(
            model_name='messageevent',
            name='kind',
            field=models.CharField(choices=[('delivered', 'Delivered'), ('opened', 'Opened'), ('clicked', 'Clicked'), ('replied', 'Replied'), ('bounced', 'Bounced'), ('unsubscribed', 'Unsubscribed'), ('complained', 'Marked as spam')], max_length=20, verbose_name='kind'),
        ),
    ]

"""The coupon paragraphs of 专属优惠券 + 新功能邀请 show only when a code is given.

An automation rule without a coupon pool (the shipped reactivation template) sends this
email as a plain invitation; before, it promised a coupon and showed an empty line. Only a
template still at its shipped version 1 gets the new version 2; an edited one is left alone.
"""

from django.db import migrations
from django.utils import timezone

CHANGES = {
    "coupon-new-feature": [
        ("抢先体验，并为您准备了一张专属优惠券：</p>",
         "抢先体验{% if coupon_code %}，并为您准备了一张专属优惠券：{% else %}。{% endif %}</p>\n"
         "{% if coupon_code %}"),
        ("请尽早使用。</p>", "请尽早使用。</p>{% endif %}"),
    ],
    "coupon-new-feature-en": [
        ("To welcome you back, here is an exclusive coupon:</p>",
         "{% if coupon_code %}To welcome you back, here is an exclusive coupon:{% endif %}</p>\n"
         "{% if coupon_code %}"),
        ("available for a limited time only.</p>", "available for a limited time only.</p>{% endif %}"),
    ],
}  # fmt: skip


def forwards(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    TemplateVersion = apps.get_model("messaging", "TemplateVersion")
    for key, replacements in CHANGES.items():
        template = MessageTemplate.objects.filter(key=key).select_related("current_version").first()
        if template is None or template.current_version is None:
            continue
        current = template.current_version
        if current.number != 1:
            continue
        html = current.html_body
        if not all(old in html for old, _new in replacements):
            continue
        for old, new in replacements:
            html = html.replace(old, new, 1)
        version = TemplateVersion.objects.create(
            template=template,
            number=2,
            subject=current.subject,
            html_body=html,
            text_body=current.text_body,
            created_at=timezone.now(),
        )
        template.current_version = version
        template.save(update_fields=["current_version"])


class Migration(migrations.Migration):
    dependencies = [("messaging", "0005_reminder_policies")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

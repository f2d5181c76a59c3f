"""The message templates the seeds name, in Chinese and English.

Seed 000 (rules): 《产品介绍》 for new prospects, 《使用报告》 monthly for high-value customers,
专属优惠券 + 新功能邀请 to wake silent customers; seed 002: 欢迎礼包 / 入门指南 for new
customers; seed 004: birthday wishes by SMS and email; seed 000: 满意度回访 after service.
Each is version 1 of its template. Installing is idempotent by key: a template that already
exists (perhaps edited by an admin since) is left as it is.

The texts are frozen here on purpose (a migration must not import code that changes later);
tests check that every one passes the sandbox check.
"""

from django.db import migrations
from django.utils import timezone

SIGN_ZH = "{% if company.name %}【{{ company.name }}】{% endif %}"
SIGN_EN = "{% if company.name %}[{{ company.name }}] {% endif %}"

_WRAP = (
    "<div style=\"font-family:-apple-system,'PingFang SC','Microsoft YaHei',Arial,"
    'sans-serif;font-size:14px;line-height:1.7;color:#222;max-width:600px">\n{body}\n'
    '<p style="color:#555">{closing}<br>{{{{ owner.name }}}}{{% if company.name %}} · '
    "{{{{ company.name }}}}{{% endif %}}"
    "{{% if owner.phone %}}<br>{phone}{{{{ owner.phone }}}}{{% endif %}}"
    "{{% if owner.email %}}<br>{email}{{{{ owner.email }}}}{{% endif %}}</p>\n{footer}</div>\n"
)
_FOOTER_ZH = (
    '<p style="font-size:12px;color:#888;border-top:1px solid #eee;padding-top:8px">'
    "您收到这封邮件，是因为您是{{ company.name }}的客户或曾与我们联系。"
    '如不希望再收到此类邮件，请<a href="{{ unsubscribe_url }}">点击此处退订</a>。</p>\n'
)
_FOOTER_EN = (
    '<p style="font-size:12px;color:#888;border-top:1px solid #eee;padding-top:8px">'
    "You are receiving this email because you are a customer of {{ company.name }} or have "
    'been in touch with us. To stop receiving emails like this, <a href="{{ unsubscribe_url }}">'
    "unsubscribe here</a>.</p>\n"
)


def _zh(body: str, *, marketing: bool) -> str:
    return _WRAP.format(
        body=body,
        closing="此致<br>敬礼",
        phone="电话：",
        email="邮箱：",
        footer=_FOOTER_ZH if marketing else "",
    )


def _en(body: str, *, marketing: bool) -> str:
    return _WRAP.format(
        body=body,
        closing="Best regards,",
        phone="Phone: ",
        email="Email: ",
        footer=_FOOTER_EN if marketing else "",
    )


TEMPLATES = [
    # --- 产品介绍 / product introduction ---------------------------------------------
    {
        "key": "product-intro",
        "name": "产品介绍",
        "channel": "email",
        "category": "marketing",
        "language": "zh-hans",
        "description": "潜在客户首次跟进：发送《产品介绍》并引荐专属销售（种子 000）",
        "subject": "{{ customer.name }}，为您呈上{{ company.name }}产品介绍",
        "html_body": _zh(
            "<p>尊敬的{{ contact.salutation }}，您好：</p>\n"
            "<p>感谢您对{{ company.name }}的关注。我是您的专属客户经理{{ owner.name }}，"
            "今后将由我负责与贵司的对接与服务。</p>\n"
            "<p>我们专注于帮助企业管理客户关系、提升销售效率，主要能力包括：</p>\n"
            "<ul>\n<li>客户资料统一管理，跟进记录随时可查；</li>\n"
            "<li>跟进提醒与自动化营销，重要客户不再遗漏；</li>\n"
            "<li>销售漏斗与业绩报表，经营情况一目了然。</li>\n</ul>\n"
            "<p>{% if company.website %}详细资料请访问："
            '<a href="{{ company.website }}">{{ company.website }}</a>。{% endif %}'
            "如您方便，我希望能约一个 20 分钟的线上交流，结合{{ customer.name }}的业务情况，"
            "为您介绍最合适的方案。期待您的回复！</p>",
            marketing=True,
        ),
    },
    {
        "key": "product-intro-en",
        "name": "Product introduction",
        "channel": "email",
        "category": "marketing",
        "language": "en",
        "description": "First follow-up for a prospect: product introduction and their account "
        "manager (seed 000)",
        "subject": "{{ customer.name }}: an introduction to {{ company.name }}",
        "html_body": _en(
            "<p>Dear {{ contact.salutation }},</p>\n"
            "<p>Thank you for your interest in {{ company.name }}. I am {{ owner.name }}, your "
            "dedicated account manager, and I will be your point of contact from now on.</p>\n"
            "<p>We help companies manage their customer relationships and sell more "
            "efficiently:</p>\n"
            "<ul>\n<li>all customer records and follow-ups in one place;</li>\n"
            "<li>follow-up reminders and automated campaigns, so no key customer is "
            "forgotten;</li>\n"
            "<li>sales pipeline and performance reports at a glance.</li>\n</ul>\n"
            "<p>{% if company.website %}You will find more at "
            '<a href="{{ company.website }}">{{ company.website }}</a>. {% endif %}'
            "If convenient, I would welcome a 20-minute call to walk you through the options "
            "that best fit {{ customer.name }}. I look forward to hearing from you.</p>",
            marketing=True,
        ),
    },
    # --- 使用报告 / usage report -------------------------------------------------------
    {
        "key": "usage-report",
        "name": "使用报告",
        "channel": "email",
        "category": "transactional",
        "language": "zh-hans",
        "description": "高价值客户月度关怀：每月 1 日发送《使用报告》，随后客服电话回访（种子 000）",
        "subject": "{{ customer.name }}月度使用报告（{{ today }}）",
        "html_body": _zh(
            "<p>尊敬的{{ contact.salutation }}，您好：</p>\n"
            "<p>感谢{{ customer.name }}一直以来对{{ company.name }}的信任。"
            "我们已为贵司整理好上月的产品使用报告，内容包括：</p>\n"
            "<ul>\n<li>账号活跃度与主要功能的使用情况；</li>\n"
            "<li>与同行业客户的对比及可改进之处；</li>\n"
            "<li>我们针对贵司业务给出的下月使用建议。</li>\n</ul>\n"
            "<p>近期我们的客服同事将致电与您一同回顾报告，并听取您的意见。"
            "如需先行获取完整报告或调整回访时间，请直接回复本邮件或与我联系。</p>\n"
            "<p>作为我们的重要客户，您始终享有优先服务，有任何需要请随时告诉我们。</p>",
            marketing=False,
        ),
    },
    {
        "key": "usage-report-en",
        "name": "Usage report",
        "channel": "email",
        "category": "transactional",
        "language": "en",
        "description": "Monthly care for high-value customers: usage report on the 1st, then a "
        "follow-up call (seed 000)",
        "subject": "{{ customer.name }} monthly usage report ({{ today }})",
        "html_body": _en(
            "<p>Dear {{ contact.salutation }},</p>\n"
            "<p>Thank you for the trust {{ customer.name }} places in {{ company.name }}. "
            "Your usage report for last month is ready. It covers:</p>\n"
            "<ul>\n<li>account activity and the features your team uses most;</li>\n"
            "<li>how you compare with similar companies in your industry, and where to "
            "improve;</li>\n"
            "<li>our recommendations for the coming month.</li>\n</ul>\n"
            "<p>One of our service colleagues will call you shortly to go through the report "
            "and hear your feedback. To receive the full report first, or to choose another "
            "time for the call, simply reply to this email or contact me.</p>\n"
            "<p>As a key customer you always have priority service; let us know whenever you "
            "need anything.</p>",
            marketing=False,
        ),
    },
    # --- 专属优惠券 + 新功能邀请 / coupon + new feature invitation ------------------------
    {
        "key": "coupon-new-feature",
        "name": "专属优惠券 + 新功能邀请",
        "channel": "email",
        "category": "marketing",
        "language": "zh-hans",
        "description": "沉默客户激活：距上次互动 90 天，发送专属优惠券并邀请体验新功能（种子 000）",
        "subject": "{{ contact.salutation }}，送您一张专属优惠券，邀您抢先体验新功能",
        "html_body": _zh(
            "<p>尊敬的{{ contact.salutation }}，您好：</p>\n"
            "<p>好久不见！这段时间{{ company.name }}上线了多项新功能，"
            "我们特别希望邀请{{ customer.name }}抢先体验，并为您准备了一张专属优惠券：</p>\n"
            '<p style="font-size:20px;font-weight:bold;letter-spacing:2px;color:#c0392b">'
            "{{ coupon_code }}</p>\n"
            "<p>下单或续费时输入上述优惠码即可使用，该优惠码仅限贵司使用，数量有限，"
            "请尽早使用。</p>\n"
            "<p>如您希望了解新功能的具体内容，或需要我们安排一次专场演示，"
            "欢迎直接回复本邮件，我会第一时间为您安排。</p>",
            marketing=True,
        ),
    },
    {
        "key": "coupon-new-feature-en",
        "name": "Exclusive coupon + new feature invitation",
        "channel": "email",
        "category": "marketing",
        "language": "en",
        "description": "Waking a silent customer (90 days without contact): an exclusive coupon "
        "and an invitation to try new features (seed 000)",
        "subject": "{{ contact.salutation }}, an exclusive coupon and a first look at new features",
        "html_body": _en(
            "<p>Dear {{ contact.salutation }},</p>\n"
            "<p>It has been a while! {{ company.name }} has launched several new features "
            "since we last spoke, and we would like {{ customer.name }} to be among the first "
            "to try them. To welcome you back, here is an exclusive coupon:</p>\n"
            '<p style="font-size:20px;font-weight:bold;letter-spacing:2px;color:#c0392b">'
            "{{ coupon_code }}</p>\n"
            "<p>Enter this code when you order or renew. It is reserved for your company and "
            "available for a limited time only.</p>\n"
            "<p>If you would like to know more about the new features, or would like a "
            "personal demonstration, just reply to this email and I will arrange it.</p>",
            marketing=True,
        ),
    },
    # --- 欢迎礼包 / 入门指南 / welcome pack and getting-started guide ----------------------
    {
        "key": "welcome-guide",
        "name": "欢迎礼包 / 入门指南",
        "channel": "email",
        "category": "transactional",
        "language": "zh-hans",
        "description": "新客培育：欢迎新客户，送上欢迎礼包与产品入门指南（种子 002）",
        "subject": "欢迎加入{{ company.name }}，{{ customer.name }}！您的欢迎礼包与入门指南",
        "html_body": _zh(
            "<p>尊敬的{{ contact.salutation }}，您好：</p>\n"
            "<p>欢迎{{ customer.name }}成为{{ company.name }}的客户！"
            "我是您的专属客户经理{{ owner.name }}，很高兴为您服务。</p>\n"
            "<p><strong>您的欢迎礼包</strong>已经开通，包括一对一上手培训、"
            "专属客服通道以及首月使用顾问服务。</p>\n"
            "<p><strong>三步快速上手：</strong></p>\n"
            "<ol>\n<li>登录系统，完善企业信息并邀请团队成员；</li>\n"
            "<li>导入现有客户资料，或从模板开始建立客户档案；</li>\n"
            "<li>设置第一条跟进提醒，让重要客户不再遗漏。</li>\n</ol>\n"
            "<p>{% if company.website %}完整的入门指南与视频教程请见："
            '<a href="{{ company.website }}">{{ company.website }}</a>。{% endif %}'
            "接下来三天内我会与您联系，了解贵司的需求并协助完成初始设置。"
            "在此期间有任何问题，欢迎随时回复本邮件。</p>",
            marketing=False,
        ),
    },
    {
        "key": "welcome-guide-en",
        "name": "Welcome pack / getting-started guide",
        "channel": "email",
        "category": "transactional",
        "language": "en",
        "description": "New customers: a welcome, the welcome pack and the getting-started guide "
        "(seed 002)",
        "subject": "Welcome to {{ company.name }}, {{ customer.name }}! Your welcome pack and "
        "getting-started guide",
        "html_body": _en(
            "<p>Dear {{ contact.salutation }},</p>\n"
            "<p>Welcome to {{ company.name }}! I am {{ owner.name }}, your dedicated account "
            "manager, and I am glad to be working with {{ customer.name }}.</p>\n"
            "<p><strong>Your welcome pack</strong> is ready: one-to-one onboarding training, "
            "a dedicated support line and an adviser for your first month.</p>\n"
            "<p><strong>Get started in three steps:</strong></p>\n"
            "<ol>\n<li>sign in, complete your company profile and invite your team;</li>\n"
            "<li>import your existing customers, or start from a template;</li>\n"
            "<li>set your first follow-up reminder, so no important customer is "
            "forgotten.</li>\n</ol>\n"
            "<p>{% if company.website %}The full guide and video tutorials are at "
            '<a href="{{ company.website }}">{{ company.website }}</a>. {% endif %}'
            "I will contact you within three days to learn about your needs and help with the "
            "setup. In the meantime, just reply to this email with any question.</p>",
            marketing=False,
        ),
    },
    # --- 生日祝福 / birthday wishes ---------------------------------------------------
    {
        "key": "birthday-email",
        "name": "生日祝福（邮件）",
        "channel": "email",
        "category": "marketing",
        "language": "zh-hans",
        "description": "客户生日自动发送祝福邮件，增强客户粘性（种子 004）",
        "subject": "{{ contact.salutation }}，{{ company.name }}祝您生日快乐！",
        "html_body": _zh(
            "<p>尊敬的{{ contact.salutation }}：</p>\n"
            "<p>今天是您的生日，{{ company.name }}全体同仁向您致以最诚挚的祝福！</p>\n"
            "<p>感谢您一直以来对我们的信任与支持。愿您在新的一岁里事业顺遂、身体健康、"
            "阖家幸福，万事如意！</p>\n"
            "<p>能与您和{{ customer.name }}一路同行，是我们的荣幸。</p>",
            marketing=True,
        ),
    },
    {
        "key": "birthday-email-en",
        "name": "Birthday wishes (email)",
        "channel": "email",
        "category": "marketing",
        "language": "en",
        "description": "Birthday wishes sent automatically on the customer's birthday (seed 004)",
        "subject": "Happy birthday, {{ contact.salutation }}, from {{ company.name }}!",
        "html_body": _en(
            "<p>Dear {{ contact.salutation }},</p>\n"
            "<p>Everyone at {{ company.name }} wishes you a very happy birthday!</p>\n"
            "<p>Thank you for your trust and support. May the year ahead bring you success, "
            "good health and happiness.</p>\n"
            "<p>It is a privilege to work with you and {{ customer.name }}.</p>",
            marketing=True,
        ),
    },
    {
        "key": "birthday-sms",
        "name": "生日祝福（短信）",
        "channel": "sms",
        "category": "marketing",
        "language": "zh-hans",
        "description": "客户生日自动发送祝福短信（种子 004）",
        "text_body": SIGN_ZH + "{{ contact.salutation }}，祝您生日快乐！感谢您一直以来的信任与"
        "支持，愿您新的一岁事业顺遂、身体健康、万事如意。"
        "{% if owner.name %}{{ owner.name }}敬上。{% endif %}回T退订",
    },
    {
        "key": "birthday-sms-en",
        "name": "Birthday wishes (SMS)",
        "channel": "sms",
        "category": "marketing",
        "language": "en",
        "description": "Birthday wishes by SMS on the customer's birthday (seed 004)",
        "text_body": SIGN_EN + "Happy birthday, {{ contact.salutation }}! Thank you for your "
        "trust and support. Wishing you success and good health in the year ahead. "
        "{% if owner.name %}{{ owner.name }}. {% endif %}Reply T to opt out",
    },
    # --- 满意度回访 / satisfaction follow-up --------------------------------------------
    {
        "key": "satisfaction-email",
        "name": "满意度回访（邮件）",
        "channel": "email",
        "category": "transactional",
        "language": "zh-hans",
        "description": "投诉或售后问题处理完成后的满意度回访（种子 000）",
        "subject": "{{ customer.name }}，关于近期服务的满意度回访",
        "html_body": _zh(
            "<p>尊敬的{{ contact.salutation }}，您好：</p>\n"
            "<p>您近期反馈的问题已处理完毕，感谢您的耐心与理解。"
            "为了持续改进我们的服务，想请您花一分钟时间告诉我们：</p>\n"
            "<ol>\n<li>问题是否已经彻底解决？</li>\n"
            "<li>您对本次处理的速度和服务态度是否满意？（1–5 分，5 分为非常满意）</li>\n"
            "<li>您还有哪些意见或建议？</li>\n</ol>\n"
            "<p>直接回复本邮件即可，您的每一条意见都会由专人跟进，并同步给负责贵司的同事。"
            "如问题仍未解决，请告诉我们，我们将第一时间再次处理。</p>",
            marketing=False,
        ),
    },
    {
        "key": "satisfaction-email-en",
        "name": "Satisfaction follow-up (email)",
        "channel": "email",
        "category": "transactional",
        "language": "en",
        "description": "Satisfaction follow-up after a complaint or after-sales issue is "
        "resolved (seed 000)",
        "subject": "{{ customer.name }}: how did we do?",
        "html_body": _en(
            "<p>Dear {{ contact.salutation }},</p>\n"
            "<p>The issue you reported recently has been resolved; thank you for your "
            "patience. To keep improving our service, could you take a minute to tell us:</p>\n"
            "<ol>\n<li>Is the issue fully resolved?</li>\n"
            "<li>How satisfied are you with the speed and quality of our help? (1–5, where 5 "
            "is very satisfied)</li>\n"
            "<li>Anything else we could do better?</li>\n</ol>\n"
            "<p>Just reply to this email. Every answer is followed up personally and shared "
            "with the colleagues who look after your account. If the issue is not resolved, "
            "tell us and we will take it up again at once.</p>",
            marketing=False,
        ),
    },
    {
        "key": "satisfaction-sms",
        "name": "满意度回访（短信）",
        "channel": "sms",
        "category": "transactional",
        "language": "zh-hans",
        "description": "售后问题处理完成后的短信满意度回访（种子 000）",
        "text_body": SIGN_ZH + "{{ contact.salutation }}您好，您反馈的问题已处理完毕，请回复1-5"
        "为本次服务评分（5为非常满意）。"
        "{% if owner.phone %}如有疑问请联系{{ owner.name }}{{ owner.phone }}{% endif %}",
    },
    {
        "key": "satisfaction-sms-en",
        "name": "Satisfaction follow-up (SMS)",
        "channel": "sms",
        "category": "transactional",
        "language": "en",
        "description": "Satisfaction follow-up by SMS after an after-sales issue is resolved "
        "(seed 000)",
        "text_body": SIGN_EN + "Dear {{ contact.salutation }}, your issue has been resolved. "
        "Please rate our service by replying 1-5 (5 = very satisfied); comments are welcome."
        "{% if owner.phone %} Questions: {{ owner.name }} {{ owner.phone }}{% endif %}",
    },
]


def install(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    TemplateVersion = apps.get_model("messaging", "TemplateVersion")
    now = timezone.now()
    existing = set(MessageTemplate.objects.values_list("key", flat=True))
    for seed in TEMPLATES:
        if seed["key"] in existing:
            continue
        template = MessageTemplate.objects.create(
            key=seed["key"],
            name=seed["name"],
            channel=seed["channel"],
            category=seed["category"],
            language=seed["language"],
            description=seed["description"],
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        version = TemplateVersion.objects.create(
            template=template,
            number=1,
            subject=seed.get("subject", ""),
            html_body=seed.get("html_body", ""),
            text_body=seed.get("text_body", ""),
            created_at=now,
        )
        template.current_version = version
        template.save(update_fields=["current_version"])


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_email_sms")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]

"""Rule templates (the maintenance loop's example rules) and the system rules that keep
derived customer data current.

A template is installed once, as an ordinary rule (a draft unless asked otherwise) that an
admin can then change: `Rule.template_key` is unique, so installing it a second time is
refused. System rules are rules too (`is_system=True`), installed active by the migration
0002_system_rules and by `system_rules_install()`, which only adds the missing ones.

Texts a customer or a salesperson reads (task titles, notices, the message template) exist
in Chinese and English; a definition is built in the language active when it is asked for,
so an English installation gets the `-en` message templates. Tag names are the product's
own (近期高活跃, 沉睡客户): conditions match them by name, so they are the same in every
language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# --- thresholds ---------------------------------------------------------------------------
# The one place to change what the system rules consider "active" and "dormant". A change
# here applies to rules installed afterwards; rules already installed keep their definition
# (an admin edits those on the rule itself, which makes a new version).
THRESHOLDS: dict[str, int] = {
    # 近期高活跃 (recently very active): at least this many follow-ups …
    "active_followups": 3,
    # … within this many days.
    "active_days": 30,
    # 沉睡客户 (dormant) tag: no interaction (follow-up, or creation) for this many days.
    "dormant_tag_days": 90,
    # Level 沉默客户 (silent): no interaction for this many days.
    "silent_level_days": 90,
    # Lifecycle stage 流失预警 (churn risk): no interaction for this many days.
    "churn_risk_days": 90,
    # Lifecycle stage 复购客户 (repeat): at least this many orders (not cancelled or refunded).
    "repeat_orders": 2,
    # How often the system rules look at the customers, in minutes.
    "scan_minutes": 60,
}

ACTIVE_TAG = "近期高活跃"
DORMANT_TAG = "沉睡客户"


class Text(NamedTuple):
    """A text in a definition that depends on the language the rule is installed in."""

    zh: str
    en: str


def _chinese(language: str | None = None) -> bool:
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return language.lower().startswith("zh")


def _localised(spec: Any, *, chinese: bool) -> Any:
    if isinstance(spec, Text):
        return spec.zh if chinese else spec.en
    if isinstance(spec, dict):
        return {k: _localised(v, chinese=chinese) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_localised(v, chinese=chinese) for v in spec]
    return spec


def _message(key: str) -> Text:
    """A message template key: the seeded Chinese one, or its `-en` twin."""
    return Text(key, f"{key}-en")


@dataclass(frozen=True)
class Template:
    key: str
    name: Promise
    description: Promise
    spec: dict[str, Any]  # a definition whose language-dependent texts are `Text`s
    is_system: bool = False

    @property
    def definition(self) -> dict[str, Any]:
        """The definition (as validate_definition takes it) in the active language."""
        return _localised(self.spec, chinese=_chinese())

    def definition_for(self, language: str) -> dict[str, Any]:
        return _localised(self.spec, chinese=_chinese(language))


# --- templates ----------------------------------------------------------------------------

TEMPLATES: list[Template] = [
    Template(
        key="first-followup",
        name=gettext_lazy("First follow-up of potential customers"),
        description=gettext_lazy(
            "Potential customers never followed up get an owner (round robin, when they have "
            "none) and the product introduction email; if they have not opened, clicked or "
            "answered it 3 days later, the owner gets a phone-call task. A follow-up recorded "
            "meanwhile ends the journey."
        ),
        spec={
            "trigger": {"kind": "condition", "scan_minutes": 15},
            "conditions": {
                "all": [
                    {"field": "level", "op": "eq", "value": "potential"},
                    {"field": "followups", "op": "eq", "value": 0},
                ]
            },
            # The owner first: the introduction email presents them by name.
            "steps": [
                {
                    "id": "assign",
                    "action": "assign_owner",
                    "mode": "round_robin",
                    "only_if_unowned": True,
                },
                {"id": "intro", "action": "send_email", "template": _message("product-intro")},
                {"id": "wait", "action": "wait", "days": 3},
                {
                    "id": "answered",
                    "action": "branch",
                    "if": {"message_step": "intro", "event": "any_response", "within_days": 3},
                    "then": [],
                    "else": [
                        {
                            "id": "call",
                            "action": "create_task",
                            "title": Text("电话跟进 {customer}", "Phone follow-up: {customer}"),
                            "description": Text(
                                "3 天前发送的《产品介绍》邮件未被打开或回复，请电话联系客户。",
                                "The product introduction emailed 3 days ago was not opened "
                                "or answered: please call the customer.",
                            ),
                            "assignee": "owner",
                            "due_hours": 24,
                            "priority": 3,
                        }
                    ],
                },
            ],
            "enrollment": {"exit_events": ["followup.recorded"]},
        },
    ),
    Template(
        key="monthly-care",
        name=gettext_lazy("Monthly care of high-value customers"),
        description=gettext_lazy(
            "On the 1st of every month at 09:00, high-value customers get the usage report "
            "email and their owner a call-back task."
        ),
        spec={
            "trigger": {"kind": "schedule", "every": "monthly", "day": 1, "at": "09:00"},
            "conditions": {"all": [{"field": "level", "op": "eq", "value": "high_value"}]},
            "steps": [
                {"id": "report", "action": "send_email", "template": _message("usage-report")},
                {
                    "id": "callback",
                    "action": "create_task",
                    "title": Text(
                        "回访 {customer}（月度使用报告）",
                        "Call back {customer} about the monthly usage report",
                    ),
                    "description": Text(
                        "已发送本月《使用报告》，请电话回访，了解使用情况并听取意见。",
                        "This month's usage report was sent: call to go through it and hear "
                        "the customer's feedback.",
                    ),
                    "assignee": "owner",
                    "due_hours": 72,
                    "priority": 2,
                },
            ],
        },  # fmt: skip
    ),
    Template(
        key="silent-reactivation",
        name=gettext_lazy("Reactivation of silent customers"),
        description=gettext_lazy(
            "Customers tagged dormant (沉睡客户) or of the silent level, with no interaction "
            "for 90 days, get the exclusive coupon and new features email. Again at most "
            "every 90 days, after they were active in between. To give each customer a code "
            "of its own, load codes into a coupon pool and name it in the email step."
        ),
        spec={
            "trigger": {"kind": "condition", "scan_minutes": 60},
            "conditions": {
                "all": [
                    {
                        "any": [
                            {"field": "tags", "op": "has_any", "value": [DORMANT_TAG]},
                            {"field": "level", "op": "eq", "value": "silent"},
                        ]
                    },
                    {"field": "last_interaction", "op": "older_than_days", "value": 90},
                ]
            },
            "steps": [
                {
                    "id": "invite",
                    "action": "send_email",
                    "template": _message("coupon-new-feature"),
                }
            ],
            "enrollment": {"reenroll": True, "min_interval_days": 90},
        },
    ),
    Template(
        key="intent-upgrade",
        name=gettext_lazy("Intent upgrade"),
        description=gettext_lazy(
            "When the demand says the budget is confirmed (已确认预算) and the expected close "
            "date is within 7 days, the intent becomes high and the team leader is notified."
        ),
        spec={
            "trigger": {"kind": "condition", "scan_minutes": 15},
            "conditions": {
                "all": [
                    {"field": "demand", "op": "contains", "value": "已确认预算"},
                    {"field": "expected_close_date", "op": "within_next_days", "value": 7},
                    {"field": "intent", "op": "ne", "value": "high"},
                ]
            },
            "steps": [
                {"id": "upgrade", "action": "set_field", "field": "intent", "value": "high"},
                {
                    "id": "tell",
                    "action": "notify",
                    "to": "supervisor",
                    "title": Text("意向升级：{customer}", "Intent upgraded: {customer}"),
                    "body": Text(
                        "客户已确认预算，预计 7 天内成交，意向已调为“高”。请关注并支持跟进。",
                        "The customer confirmed the budget and should close within 7 days; "
                        "the intent is now high. Please keep an eye on it.",
                    ),
                },
            ],
        },
    ),
    Template(
        key="new-customer-nurture",
        name=gettext_lazy("New customer nurture"),
        description=gettext_lazy(
            "A new customer gets the welcome guide email; on day 3 the owner gets a first "
            "follow-up task, on day 7 a needs-discovery task."
        ),
        spec={
            "trigger": {"kind": "event", "event": "customer.created"},
            "conditions": {"all": []},
            "steps": [
                {"id": "welcome", "action": "send_email", "template": _message("welcome-guide")},
                {"id": "day3", "action": "wait", "days": 3},
                {
                    "id": "first",
                    "action": "create_task",
                    "title": Text("首次跟进 {customer}", "First follow-up: {customer}"),
                    "assignee": "owner",
                    "due_hours": 24,
                    "priority": 2,
                },
                {"id": "day7", "action": "wait", "days": 4},
                {
                    "id": "needs",
                    "action": "create_task",
                    "title": Text("需求挖掘 {customer}", "Needs discovery: {customer}"),
                    "assignee": "owner",
                    "due_hours": 48,
                    "priority": 2,
                },
            ],
        },
    ),
    Template(
        key="unanswered-inquiry",
        name=gettext_lazy("Unanswered inquiry"),
        description=gettext_lazy(
            "An inbound inquiry without a follow-up or a reply within 1 hour: the owner gets a "
            "notice with a reply script."
        ),
        spec={
            "trigger": {
                "kind": "no_action",
                "event": "customer.created",
                "hours": 1,
                "unless_events": ["followup.recorded", "message.replied"],
            },
            "conditions": {"all": [{"field": "source", "op": "eq", "value": "inbound"}]},
            "steps": [
                {
                    "id": "script",
                    "action": "notify",
                    "to": "owner",
                    "title": Text("咨询未回复：{customer}", "Unanswered inquiry: {customer}"),
                    "body": Text(
                        "该客户的咨询已超过 1 小时未回复，请尽快联系。参考话术："
                        "“您好，我是您的专属顾问，感谢您的咨询！想先了解一下您的具体需求和"
                        "预计的使用规模，方便的话我给您打个电话详细介绍？”",
                        "This inquiry has waited more than an hour for an answer; please get "
                        "in touch now. Suggested reply: “Hello, I am your account manager — "
                        "thank you for your inquiry! May I ask what you need and how many "
                        "people would use it? If convenient, I will call you to explain.”",
                    ),
                }
            ],
        },
    ),
    Template(
        key="new-order-assign",
        name=gettext_lazy("New order assignment"),
        description=gettext_lazy(
            "An order for a customer without an owner: a salesperson is assigned (round "
            "robin) and notified."
        ),
        spec={
            "trigger": {"kind": "event", "event": "order.created"},
            "conditions": {"all": [{"field": "owner", "op": "empty"}]},
            "steps": [
                {
                    "id": "assign",
                    "action": "assign_owner",
                    "mode": "round_robin",
                    "only_if_unowned": True,
                },
                {
                    "id": "tell",
                    "action": "notify",
                    "to": "owner",
                    "title": Text("新订单：{customer}", "New order: {customer}"),
                    "body": Text(
                        "该客户刚下单，已分配给您，请尽快联系确认订单。",
                        "This customer just ordered and is now yours: please contact them to "
                        "confirm the order.",
                    ),
                },
            ],
            "enrollment": {"reenroll": True},
        },
    ),
    Template(
        key="greetings",
        name=gettext_lazy("Birthday greetings"),
        description=gettext_lazy("On the customer's birthday at 09:00, a greeting SMS."),
        spec={
            "trigger": {
                "kind": "anniversary",
                "field": "birthday",
                "days_before": 0,
                "at": "09:00",
            },
            "conditions": {"all": []},
            "steps": [{"id": "wish", "action": "send_sms", "template": _message("birthday-sms")}],
        },  # fmt: skip
    ),
]

# --- system rules -------------------------------------------------------------------------


def _dormant(days_key: str) -> dict[str, Any]:
    return {"field": "last_interaction", "op": "older_than_days", "value": THRESHOLDS[days_key]}


def _scan() -> dict[str, Any]:
    return {"kind": "condition", "scan_minutes": THRESHOLDS["scan_minutes"]}


# Tags are kept exactly current (added and removed both ways, a manual change is undone on
# the next scan). Level and stage are set when a customer turns dormant; a person may change
# them back, and that stands until the customer turns dormant again.
# Each rule re-enrolls: a customer who leaves its conditions and meets them again is handled
# again.
SYSTEM_RULES: list[Template] = [
    Template(
        key="system-active-tag",
        name=gettext_lazy("Tag recently very active customers"),
        description=gettext_lazy(
            "Adds the tag 近期高活跃 to customers with enough follow-ups recently."
        ),
        spec={
            "trigger": _scan(),
            "conditions": {
                "all": [
                    {"field": "tags", "op": "has_none", "value": [ACTIVE_TAG]},
                    {
                        "field": "followups",
                        "op": "gte",
                        "value": THRESHOLDS["active_followups"],
                        "days": THRESHOLDS["active_days"],
                    },
                ]
            },
            "steps": [{"id": "tag", "action": "add_tag", "tags": [ACTIVE_TAG]}],
            "enrollment": {"reenroll": True},
        },
        is_system=True,
    ),
    Template(
        key="system-active-tag-remove",
        name=gettext_lazy("Untag customers no longer very active"),
        description=gettext_lazy(
            "Removes the tag 近期高活跃 once a customer has had too few follow-ups recently."
        ),
        spec={
            "trigger": _scan(),
            "conditions": {
                "all": [
                    {"field": "tags", "op": "has_any", "value": [ACTIVE_TAG]},
                    {
                        "field": "followups",
                        "op": "lt",
                        "value": THRESHOLDS["active_followups"],
                        "days": THRESHOLDS["active_days"],
                    },
                ]
            },
            "steps": [{"id": "untag", "action": "remove_tag", "tags": [ACTIVE_TAG]}],
            "enrollment": {"reenroll": True},
        },
        is_system=True,
    ),
    Template(
        key="system-dormant-tag",
        name=gettext_lazy("Tag dormant customers"),
        description=gettext_lazy(
            "Adds the tag 沉睡客户 to customers without interaction for a long time."
        ),
        spec={
            "trigger": _scan(),
            "conditions": {
                "all": [
                    {"field": "tags", "op": "has_none", "value": [DORMANT_TAG]},
                    _dormant("dormant_tag_days"),
                ]
            },
            "steps": [{"id": "tag", "action": "add_tag", "tags": [DORMANT_TAG]}],
            "enrollment": {"reenroll": True},
        },
        is_system=True,
    ),
    Template(
        key="system-dormant-tag-remove",
        name=gettext_lazy("Untag customers no longer dormant"),
        description=gettext_lazy("Removes the tag 沉睡客户 after a new interaction."),
        spec={
            "trigger": _scan(),
            "conditions": {
                "all": [
                    {"field": "tags", "op": "has_any", "value": [DORMANT_TAG]},
                    {
                        "field": "last_interaction",
                        "op": "within_last_days",
                        "value": THRESHOLDS["dormant_tag_days"],
                    },
                ]
            },
            "steps": [{"id": "untag", "action": "remove_tag", "tags": [DORMANT_TAG]}],
            "enrollment": {"reenroll": True},
        },
        is_system=True,
    ),
    Template(
        key="system-silent-level",
        name=gettext_lazy("Level silent customers"),
        description=gettext_lazy(
            "Sets the level 沉默客户 when a customer has had no interaction for a long time."
        ),
        spec={
            "trigger": _scan(),
            "conditions": {"all": [_dormant("silent_level_days")]},
            "steps": [{"id": "level", "action": "set_field", "field": "level", "value": "silent"}],
            "enrollment": {"reenroll": True},
        },
        is_system=True,
    ),
    Template(
        key="system-repeat-stage",
        name=gettext_lazy("Repeat customer stage"),
        description=gettext_lazy(
            "Sets the lifecycle stage to repeat customer from the second order on (cancelled and "
            "refunded orders do not count)."
        ),
        spec={
            "trigger": _scan(),
            "conditions": {
                "all": [
                    {"field": "stage", "op": "ne", "value": "repeat"},
                    {"field": "orders", "op": "gte", "value": THRESHOLDS["repeat_orders"]},
                ]
            },
            "steps": [{"id": "stage", "action": "set_field", "field": "stage", "value": "repeat"}],
            "enrollment": {"reenroll": True},
        },
        is_system=True,
    ),
    Template(
        key="system-churn-risk-stage",
        name=gettext_lazy("Churn risk stage"),
        description=gettext_lazy(
            "Sets the lifecycle stage to churn risk when a customer has had no interaction "
            "for a long time."
        ),
        spec={
            "trigger": _scan(),
            "conditions": {"all": [_dormant("churn_risk_days")]},
            "steps": [
                {"id": "stage", "action": "set_field", "field": "stage", "value": "churn_risk"}
            ],
            "enrollment": {"reenroll": True},
        },
        is_system=True,
    ),
]


# --- reading and installing ---------------------------------------------------------------


def templates_list() -> list[Template]:
    return list(TEMPLATES)


def system_rules() -> list[Template]:
    return list(SYSTEM_RULES)


def template_get(key: str) -> Template | None:
    return next((t for t in TEMPLATES if t.key == key), None)


def _already(rule_name: str, template: Template):
    from guanxi.core.errors import ApplicationError

    return ApplicationError(
        _("The template “%(template)s” is already installed as the rule “%(rule)s”.")
        % {"template": template.name, "rule": rule_name}
    )


def template_install(*, actor, key: str, enable: bool = False):
    """Install a template as a rule (a draft, or active with `enable`). Once per template."""
    from guanxi.automation.models import Rule
    from guanxi.automation.services import rule_activate, rule_create
    from guanxi.core.errors import NotFoundError

    template = template_get(key)
    if template is None:
        raise NotFoundError(_("There is no rule template “%(key)s”.") % {"key": key})
    existing = Rule.objects.filter(template_key=key).values_list("name", flat=True).first()
    if existing is not None:
        raise _already(existing, template)
    try:
        with transaction.atomic():
            rule = rule_create(
                actor=actor,
                name=str(template.name),
                description=str(template.description),
                definition=template.definition,
                template_key=key,
            )
    except IntegrityError as exc:  # installed at the same moment by someone else
        name = Rule.objects.filter(template_key=key).values_list("name", flat=True).first()
        raise _already(name or key, template) from exc
    if enable:
        rule = rule_activate(actor=actor, rule=rule)
    return rule


def system_rules_install() -> list:
    """Install (active) the system rules that are missing; returns those it installed."""
    from guanxi.activity.models import Source
    from guanxi.automation.models import Rule
    from guanxi.automation.services import rule_activate, rule_create

    installed = []
    present = set(Rule.objects.exclude(template_key="").values_list("template_key", flat=True))
    for template in SYSTEM_RULES:
        if template.key in present:
            continue
        with transaction.atomic():
            rule = rule_create(
                actor=None,
                name=str(template.name),
                description=str(template.description),
                definition=template.definition,
                template_key=template.key,
                is_system=True,
                source=Source.SYSTEM,
            )
            installed.append(rule_activate(actor=None, rule=rule, source=Source.SYSTEM))
    return installed

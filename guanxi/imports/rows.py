"""One spreadsheet row → a clean dict of model values, or the reasons it cannot be imported.

This is the hot path of an import (every row of a 100,000-row file passes through it), so
everything looked up by label — industries, levels, enum labels in both languages, owners,
custom field definitions — is loaded once per job into a `RowContext`, and phone parsing
is cached. The rules themselves are the customer app's (guanxi/customers/validation.py).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, effective_scope, has_perm
from guanxi.core.names import company_name_key
from guanxi.core.phones import InvalidPhone, normalize_phone
from guanxi.customers.models import (
    CustomerSource,
    CustomFieldDefinition,
    DecisionRole,
    Industry,
    Intent,
    Kind,
    Level,
    Stage,
)
from guanxi.customers.validation import clean_custom_values, required_message
from guanxi.followups.models import Channel
from guanxi.imports.mapping import CUSTOM_PREFIX, FieldSpec, field_specs, normalize_header
from guanxi.imports.models import Entity

TAG_SPLIT = re.compile(r"[,，、;；|\n]+")
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?秒?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_STRING_LIMITS = {
    "name": 200, "province": 50, "city": 50, "district": 50, "address": 300,
    "external_source": 50, "external_id": 100, "contact_name": 100, "contact_title": 100,
    "wechat": 100, "code": 20, "customer_code": 20, "customer_name": 200, "next_step": 500,
}  # fmt: skip


_MOBILE = re.compile(r"1\d{10}")
_SEPARATORS = str.maketrans("", "", " -\u3000\u00a0")


@lru_cache(maxsize=100_000)
def _mobile_prefix_valid(prefix: str) -> bool:
    try:
        normalize_phone(prefix + "0000")
    except InvalidPhone:
        return False
    return True


def _phone(raw: str) -> tuple[str, str]:
    """(E.164, "") or ("", reason). phonenumbers costs ~65 µs a call, most of an import's row
    budget: a plain 11-digit mainland mobile (the common case) is valid exactly when its first
    seven digits are — libphonenumber's CN mobile patterns are a prefix then \\d{n} — so that
    answer is cached per prefix. Everything else goes through core.phones (test_rows.py checks
    the two agree)."""
    digits = raw.translate(_SEPARATORS)
    if _MOBILE.fullmatch(digits) and _mobile_prefix_valid(digits[:7]):
        return "+86" + digits, ""
    return _phone_slow(raw)


def _phone_slow(raw: str) -> tuple[str, str]:
    number = _phone_cached(raw)
    if number:
        return number, ""
    try:  # again, uncached: the reason must be in the language active now
        return normalize_phone(raw), ""
    except InvalidPhone as exc:
        return "", str(exc)


@lru_cache(maxsize=100_000)
def _phone_cached(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        return ""


# A plain ASCII address (user@example.com): a strict subset of what Django's EmailValidator
# accepts, checked in ~1 µs instead of ~20. Anything else goes to the validator itself.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def email_valid(value: str) -> bool:
    if len(value) <= 254 and _PLAIN_EMAIL.fullmatch(value):
        return True
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def text(value: Any) -> str:
    """A cell as text: Excel hands numbers over as floats (13812345678.0)."""
    if type(value) is str:  # most cells: skip the isinstance ladder below
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()


@lru_cache(maxsize=4096)
def _key(value: str) -> str:
    # Enum cells repeat (高, 制造业 …): normalise each distinct text once per process.
    return normalize_header(value)


def _choices_lookup(choices: type, *extra: tuple[str, str]) -> dict[str, str]:
    """Value, Chinese label and English label of each choice → value."""
    lookup: dict[str, str] = {}
    for value, label in choices.choices:
        lookup[_key(value)] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                lookup.setdefault(_key(str(label)), value)
    for alias, value in extra:
        lookup.setdefault(_key(alias), value)
    return lookup


def _labelled_lookup(model: type) -> dict[str, int]:
    lookup: dict[str, int] = {}
    for row in model.objects.filter(is_active=True).values("pk", "code", "name", "name_en"):
        for label in (row["code"], row["name"], row["name_en"]):
            if label:
                lookup.setdefault(_key(label), row["pk"])
        # 制造业 / 零售业 / 潜在 for 制造, 零售, 潜在客户: the suffix people add or leave out.
        for suffix in ("业", "行业", "客户"):
            name = row["name"]
            variant = name[: -len(suffix)] if name.endswith(suffix) else name + suffix
            lookup.setdefault(_key(variant), row["pk"])
    return lookup


def assignable_owners(actor: User) -> Q:
    """Users the importer may make owners: admin all, supervisors their team or department."""
    scope = effective_scope(actor)
    if scope == "all":
        return Q(is_active=True)
    if not has_perm(actor, Perm.CUSTOMER_REASSIGN):
        return Q(pk=actor.pk)
    q = Q(pk=actor.pk)
    if scope == "department" and actor.department_id:
        q |= Q(department_id=actor.department_id) | Q(team__department_id=actor.department_id)
    elif scope in ("team", "department") and actor.team_id:
        q |= Q(team_id=actor.team_id)
    return q & Q(is_active=True)


@dataclass
class RowContext:
    """Everything a row is checked against, loaded once per job."""

    actor: User
    entity: str
    mapping: dict[int, str]
    specs: dict[str, FieldSpec]
    industries: dict[str, int] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)
    owners: dict[str, int] = field(default_factory=dict)
    custom: list[CustomFieldDefinition] = field(default_factory=list)
    enums: dict[str, dict[str, str]] = field(default_factory=dict)
    tz: Any = None
    custom_keys: tuple[str, ...] = ()  # mapped "custom:…" fields

    @classmethod
    def build(cls, *, actor: User, entity: str, mapping: dict[str, str]) -> RowContext:
        context = cls(
            actor=actor,
            entity=entity,
            mapping={int(i): k for i, k in mapping.items()},
            specs={s.key: s for s in field_specs(entity)},
            tz=timezone.get_current_timezone(),
        )
        context.custom_keys = tuple(
            k for k in context.mapping.values() if k.startswith(CUSTOM_PREFIX)
        )
        context.industries = _labelled_lookup(Industry)
        context.levels = _labelled_lookup(Level)
        context.custom = list(CustomFieldDefinition.objects.all())
        context.enums = {
            "kind": _choices_lookup(Kind, ("公司", Kind.COMPANY), ("个人客户", Kind.INDIVIDUAL)),
            "intent": _choices_lookup(
                Intent, ("高意向", Intent.HIGH), ("中意向", Intent.MEDIUM), ("低意向", Intent.LOW),
                ("mid", Intent.MEDIUM), ("中等", Intent.MEDIUM),
            ),
            "stage": _choices_lookup(Stage, ("新客", Stage.NEW), ("复购", Stage.REPEAT)),
            "source": _choices_lookup(
                CustomerSource, ("展会推荐", CustomerSource.EXHIBITION),
                ("转介绍", CustomerSource.REFERRAL), ("线上", CustomerSource.ONLINE),
            ),
            "decision_role": _choices_lookup(DecisionRole, ("决策人", DecisionRole.DECISION_MAKER)),
            "channel": _choices_lookup(
                Channel, ("电话", Channel.PHONE), ("拜访", Channel.VISIT), ("微信", Channel.WECHAT),
                ("邮件", Channel.EMAIL),
            ),
        }  # fmt: skip
        for pk, username, display in User.objects.filter(assignable_owners(actor)).values_list(
            "pk", "username", "display_name"
        ):
            context.owners.setdefault(username.lower(), pk)
            if display:
                context.owners.setdefault(display.strip().lower(), pk)
        return context

    def label(self, key: str) -> str:
        spec = self.specs.get(key)
        return str(spec.label) if spec else key


@dataclass
class CleanRow:
    number: int
    values: dict[str, Any]
    reasons: list[str]


def clean_row(context: RowContext, number: int, cells: list[Any]) -> CleanRow:
    raw: dict[str, Any] = {}
    for index, key in context.mapping.items():
        if index < len(cells):
            raw[key] = cells[index]
    reasons: list[str] = []
    if context.entity == Entity.CUSTOMERS:
        values = _customer(context, raw, reasons)
    elif context.entity == Entity.CONTACTS:
        values = _contact(context, raw, reasons)
    else:
        values = _followup(context, raw, reasons)
    return CleanRow(number=number, values=values, reasons=reasons)


def _fail(context: RowContext, reasons: list[str], key: str, message: str) -> None:
    reasons.append(field_reason(context.label(key), message))


def _strings(context: RowContext, raw: dict[str, Any], keys: tuple[str, ...], reasons, out) -> None:
    for key in keys:
        if key in raw:
            value = text(raw[key])
            limit = _STRING_LIMITS.get(key)
            if limit and len(value) > limit:
                _fail(context, reasons, key, _("longer than %(n)d characters.") % {"n": limit})
            out[key] = value


def _contact_fields(context: RowContext, raw: dict[str, Any], reasons: list[str], out) -> bool:
    """Phone and email, normalised; True when either was reported invalid."""
    reported = False
    if "phone" in raw:
        value = text(raw["phone"])
        out["phone"] = ""
        if value:
            phone, error = _phone(value)
            if error:
                _fail(context, reasons, "phone", error)
                reported = True
            out["phone"] = phone
    if "email" in raw:
        value = text(raw["email"]).lower()
        out["email"] = value
        if value and not email_valid(value):
            out["email"] = ""
            _fail(
                context, reasons, "email",
                _("“%(value)s” is not a valid email address.") % {"value": value},
            )  # fmt: skip
            reported = True
    return reported


def _enum(context, raw, key: str, reasons: list[str], out: dict, *, lookup: dict) -> None:
    value = text(raw.get(key))
    if not value:
        return
    found = lookup.get(_key(value))
    if found is None:
        _fail(context, reasons, key, _("“%(value)s” is not a known value.") % {"value": value})
    else:
        out[key] = found


def _customer(context: RowContext, raw: dict[str, Any], reasons: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _strings(
        context, raw,
        ("code", "name", "contact_name", "contact_title", "wechat", "demand", "province", "city",
         "district", "address", "remarks", "external_source", "external_id"),
        reasons, out,
    )  # fmt: skip
    if not out.get("name"):
        _fail(context, reasons, "name", _("required."))
    contact_reported = _contact_fields(context, raw, reasons, out)
    if not (out.get("phone") or out.get("email") or out.get("code") or contact_reported):
        reasons.append(required_message())
    for key in ("kind", "intent", "stage", "source"):
        _enum(context, raw, key, reasons, out, lookup=context.enums[key])
    _enum(context, raw, "industry", reasons, out, lookup=context.industries)
    _enum(context, raw, "level", reasons, out, lookup=context.levels)
    if "tags" in raw:
        out["tags"] = sorted(
            {t.strip()[:50] for t in TAG_SPLIT.split(text(raw["tags"])) if t.strip()}
        )
    for key in ("expected_close_date", "birthday", "anniversary"):
        if key in raw:
            _date(context, raw, key, reasons, out, with_time=False)
    if "last_contact" in raw:
        _date(context, raw, "last_contact", reasons, out, with_time=True)
    if "owner" in raw and text(raw["owner"]):
        owner = context.owners.get(text(raw["owner"]).lower())
        if owner is None:
            _fail(
                context, reasons, "owner",
                _("“%(value)s” is not a user you can assign customers to.")
                % {"value": text(raw["owner"])},
            )  # fmt: skip
        out["owner_id"] = owner
    if out.get("external_id") and not out.get("external_source"):
        _fail(context, reasons, "external_source", _("Name the system the external id comes from."))
    custom = {k[len(CUSTOM_PREFIX) :]: raw[k] for k in context.custom_keys if k in raw}
    if custom or context.custom:
        errors: dict[str, list[str]] = {}
        industry = out.get("industry")
        definitions = [d for d in context.custom if d.industry_id in (None, industry)]
        custom = {k: (v if not isinstance(v, float) else text(v)) for k, v in custom.items()}
        custom = {k: v for k, v in custom.items() if k in {d.key for d in definitions}}
        out["custom_fields"] = {
            k: v
            for k, v in clean_custom_values(
                values=custom, definitions=definitions, creating=True, errors=errors
            ).items()
            if v is not None
        }
        for key, messages in errors.items():
            label = context.label(CUSTOM_PREFIX + key.split(".", 1)[-1])
            reasons.extend(field_reason(label, m) for m in messages)
    if out.get("name"):
        out["name_key"] = company_name_key(out["name"])
    return out


def _contact(context: RowContext, raw: dict[str, Any], reasons: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _strings(
        context, raw,
        ("customer_code", "customer_name", "contact_name", "contact_title", "wechat", "remarks"),
        reasons, out,
    )  # fmt: skip
    _contact_fields(context, raw, reasons, out)
    _enum(context, raw, "decision_role", reasons, out, lookup=context.enums["decision_role"])
    if "birthday" in raw:
        _date(context, raw, "birthday", reasons, out, with_time=False)
    if not (out.get("customer_code") or out.get("customer_name")):
        _fail(context, reasons, "customer_code", _("required (or the customer name)."))
    if not (out.get("contact_name") or out.get("phone") or out.get("email")) and not reasons:
        reasons.append(_("Enter the contact’s name, phone or email."))
    return out


def _followup(context: RowContext, raw: dict[str, Any], reasons: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _strings(
        context, raw, ("customer_code", "customer_name", "content", "feedback", "next_step"),
        reasons, out,
    )  # fmt: skip
    _contact_fields(context, raw, reasons, out)
    _enum(context, raw, "channel", reasons, out, lookup=context.enums["channel"])
    if _date(context, raw, "occurred_at", reasons, out, with_time=True) and not out.get(
        "occurred_at"
    ):
        _fail(context, reasons, "occurred_at", _("required."))
    if not out.get("content"):
        _fail(context, reasons, "content", _("required."))
    if not (out.get("customer_code") or out.get("customer_name") or out.get("phone")):
        _fail(context, reasons, "customer_code", _("required (or the customer name or phone)."))
    return out


def parse_date(value: Any) -> dt.date | dt.datetime | None:
    """2024-05-01, 2024/5/1, 2024年5月1日, 20240501, an Excel serial number, or a cell date."""
    if value in (None, ""):
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's serial day numbers: 1900-01-01 … 9999-12-31
            whole = int(value)
            seconds = round((value - whole) * 86400)
            day = _EXCEL_EPOCH + dt.timedelta(days=whole)
            if seconds:
                return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
            return day
        raise ValueError(value)
    raw = unicodedata.normalize("NFKC", str(value)).strip()
    if raw.replace(".", "", 1).isdigit() and not _COMPACT_DATE.match(raw):
        return parse_date(float(raw))
    match = _DATE.match(raw) or _COMPACT_DATE.match(raw)
    if not match:
        raise ValueError(value)
    parts = [int(p) if p else 0 for p in match.groups()]
    day = dt.date(parts[0], parts[1], parts[2])
    if len(parts) > 3 and (parts[3] or parts[4] or parts[5]):
        return dt.datetime(day.year, day.month, day.day, parts[3], parts[4], parts[5])
    return day


def _date(context, raw, key: str, reasons: list[str], out: dict, *, with_time: bool) -> bool:
    """The cell as a date (or an aware datetime); False when it was reported invalid."""
    try:
        value = parse_date(raw.get(key))
    except (ValueError, OverflowError):
        _fail(
            context, reasons, key,
            _("“%(value)s” is not a date (write it as 2024-05-01).") % {"value": text(raw.get(key))},
        )  # fmt: skip
        return False
    if value is None:
        out[key] = None
        return True
    if with_time:
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time(9, 0))
        if timezone.is_naive(value):
            value = timezone.make_aware(value, context.tz)
    elif isinstance(value, dt.datetime):
        value = value.date()
    out[key] = value
    return True


def contact_values(values: dict[str, Any]) -> dict[str, Any]:
    """The primary-contact part of a clean customer row, as Contact field values."""
    names = {
        "contact_name": "name",
        "contact_title": "title",
        "phone": "phone",
        "email": "email",
        "wechat": "wechat",
    }
    return {name: values[key] for key, name in names.items() if key in values}


def join_reasons(reasons: list[str]) -> str:
    """Several reasons as one sentence run: 电话：…。意向等级：…。 / Phone: …. Intent: …."""
    text = ""
    for reason in reasons:
        if text:
            text += "" if text.endswith(("。", "！", "？")) else " "
        text += reason
    return text


def field_reason(field: object, message: object) -> str:
    """ "手机号：…" in Chinese (full-width colon), "Phone: …" in English."""
    return _("%(field)s: %(reason)s") % {"field": field, "reason": message}

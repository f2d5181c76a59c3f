"""Which column holds which field: the fields each entity accepts and their header aliases.

Headers are compared after normalisation (full-width folded, lower-case, no spaces,
punctuation, "*" required markers or bracketed hints), so 「手机号（必填）」, "Phone *" and
"phone" all find the phone field. A mapping is {column index (str): field key}.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import CustomFieldDefinition
from guanxi.imports.models import Entity

CUSTOM_PREFIX = "custom:"
_BRACKETS = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: Promise | str
    aliases: tuple[str, ...] = ()
    required: bool = False


_CUSTOMER_FIELDS = (
    FieldSpec("code", _("Customer code"), ("客户编号", "客户代码", "客户id", "customer_id", "code", "customer code", "编号")),
    FieldSpec("name", _("Customer name"), ("客户名称", "公司名称", "企业名称", "单位名称", "客户", "公司", "company_name", "company", "customer_name", "customer", "name", "名称"), required=True),
    FieldSpec("kind", _("Customer type"), ("客户类型", "类型", "kind", "type")),
    FieldSpec("industry", _("Industry"), ("所属行业", "行业", "industry")),
    FieldSpec("contact_name", _("Contact name"), ("联系人", "联系人姓名", "姓名", "contact_name", "contact", "contact person")),
    FieldSpec("contact_title", _("Contact title"), ("职位", "职务", "联系人职位", "title", "contact_title", "position", "job title")),
    FieldSpec("phone", _("Phone"), ("手机号", "手机", "手机号码", "联系电话", "电话", "联系方式", "座机", "phone", "mobile", "tel", "telephone", "phone number")),
    FieldSpec("email", _("Email"), ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "e-mail", "mail", "e")),
    FieldSpec("wechat", _("WeChat ID"), ("微信", "微信号", "wechat", "weixin")),
    FieldSpec("level", _("Level"), ("层级", "客户层级", "客户等级", "客户级别", "level", "tier", "customer level")),
    FieldSpec("intent", _("Intent"), ("意向等级", "意向", "意向程度", "intent", "intent level")),
    FieldSpec("stage", _("Lifecycle stage"), ("生命周期", "生命周期阶段", "客户阶段", "stage", "lifecycle", "lifecycle stage")),
    FieldSpec("source", _("Source"), ("客户来源", "来源", "渠道来源", "source", "lead source")),
    FieldSpec("tags", _("Tags"), ("标签", "客户标签", "tags", "tag", "labels")),
    FieldSpec("last_contact", _("Last contact"), ("最后跟进时间", "最后跟进日期", "最近跟进时间", "最近联系时间", "最后联系时间", "last_contact", "last contact", "last contacted")),
    FieldSpec("owner", _("Owner"), ("负责人", "跟进人", "所属销售", "销售", "客户经理", "归属人", "owner", "sales", "account manager")),
    FieldSpec("demand", _("Demand description"), ("需求描述", "需求", "关键需求", "客户需求", "demand", "requirement", "requirements", "needs")),
    FieldSpec("expected_close_date", _("Expected close date"), ("预计成交时间", "预计成交日期", "预计签约时间", "expected_close_date", "expected close", "expected close date", "close date")),
    FieldSpec("province", _("Province"), ("省份", "省", "所在省份", "province")),
    FieldSpec("city", _("City"), ("城市", "市", "所在城市", "city")),
    FieldSpec("district", _("District"), ("区县", "区", "district")),
    FieldSpec("address", _("Address"), ("地址", "公司地址", "详细地址", "联系地址", "address")),
    FieldSpec("remarks", _("Remarks"), ("备注", "说明", "remarks", "remark", "notes", "note", "comment")),
    FieldSpec("birthday", _("Birthday"), ("生日", "出生日期", "birthday")),
    FieldSpec("anniversary", _("Cooperation anniversary"), ("合作纪念日", "签约日期", "anniversary")),
    FieldSpec("external_source", _("External system"), ("来源系统", "外部系统", "external_source", "external system")),
    FieldSpec("external_id", _("External id"), ("外部编号", "外部id", "external_id", "external id")),
)  # fmt: skip

_CONTACT_FIELDS = (
    FieldSpec("customer_code", _("Customer code"), ("客户编号", "客户代码", "customer_id", "customer code", "code")),
    FieldSpec("customer_name", _("Customer name"), ("客户名称", "公司名称", "企业名称", "客户", "company_name", "company", "customer_name", "customer")),
    FieldSpec("contact_name", _("Contact name"), ("联系人", "联系人姓名", "姓名", "contact_name", "contact", "name")),
    FieldSpec("contact_title", _("Contact title"), ("职位", "职务", "title", "position")),
    FieldSpec("phone", _("Phone"), ("手机号", "手机", "手机号码", "联系电话", "电话", "联系方式", "phone", "mobile", "tel")),
    FieldSpec("email", _("Email"), ("邮箱", "电子邮箱", "邮件", "email", "e-mail", "e")),
    FieldSpec("wechat", _("WeChat ID"), ("微信", "微信号", "wechat")),
    FieldSpec("decision_role", _("Role in decision chain"), ("决策角色", "决策链角色", "角色", "decision_role", "role")),
    FieldSpec("birthday", _("Birthday"), ("生日", "birthday")),
    FieldSpec("remarks", _("Remarks"), ("备注", "remarks", "notes")),
)  # fmt: skip

_FOLLOWUP_FIELDS = (
    FieldSpec("customer_code", _("Customer code"), ("客户编号", "客户代码", "customer_id", "customer code", "code")),
    FieldSpec("customer_name", _("Customer name"), ("客户名称", "公司名称", "客户", "company_name", "company", "customer_name", "customer")),
    FieldSpec("phone", _("Customer phone"), ("手机号", "手机", "联系电话", "电话", "联系方式", "phone", "mobile")),
    FieldSpec("occurred_at", _("Follow-up time"), ("跟进时间", "跟进日期", "沟通时间", "拜访时间", "时间", "日期", "occurred_at", "date", "time"), required=True),
    FieldSpec("channel", _("Channel"), ("跟进方式", "沟通方式", "方式", "渠道", "channel")),
    FieldSpec("content", _("Content"), ("跟进内容", "沟通内容", "内容", "记录", "content", "notes", "summary"), required=True),
    FieldSpec("feedback", _("Customer feedback"), ("客户反馈", "反馈", "feedback")),
    FieldSpec("next_step", _("Next step"), ("下一步", "下一步计划", "后续计划", "next_step", "next step")),
)  # fmt: skip

FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    Entity.CUSTOMERS: _CUSTOMER_FIELDS,
    Entity.CONTACTS: _CONTACT_FIELDS,
    Entity.FOLLOWUPS: _FOLLOWUP_FIELDS,
}


def normalize_header(text: object) -> str:
    value = unicodedata.normalize("NFKC", str(text or "")).lower().strip()
    value = _BRACKETS.sub("", value).replace("*", "")
    return _NOISE.sub("", value)


def field_specs(entity: str) -> list[FieldSpec]:
    """The entity's fields plus, for customers, every custom field definition."""
    specs = list(FIELDS[entity])
    if entity == Entity.CUSTOMERS:
        for definition in CustomFieldDefinition.objects.all():
            names = (definition.key, definition.label, definition.label_en)
            specs.append(
                FieldSpec(
                    f"{CUSTOM_PREFIX}{definition.key}",
                    str(definition),
                    tuple(n for n in names if n),
                )
            )
    return specs


def auto_map(*, entity: str, headers: list[str], template: dict[str, str] | None = None) -> dict:
    """Guess each column's field; a template (normalised header → field) wins over aliases.
    A field is given to the first column that claims it only."""
    lookup: dict[str, str] = {}
    for spec in field_specs(entity):
        for alias in (spec.key, *spec.aliases):
            lookup.setdefault(normalize_header(alias), spec.key)
    known = {s.key for s in field_specs(entity)}
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        norm = normalize_header(header)
        key = (template or {}).get(norm) or lookup.get(norm, "")
        if key and key in known and key not in taken:
            chosen[str(index)] = key
            taken.add(key)
    return chosen


def clean_mapping(*, entity: str, headers: list[str], mapping: dict) -> dict[str, str]:
    """Keep only real columns and known fields; a field mapped twice keeps its first column."""
    known = {s.key for s in field_specs(entity)}
    cleaned: dict[str, str] = {}
    for index in sorted((int(i) for i in mapping if str(i).isdigit()), key=int):
        key = mapping.get(str(index)) or mapping.get(index)  # type: ignore[call-overload]
        if key in known and index < len(headers) and key not in cleaned.values():
            cleaned[str(index)] = key
    return cleaned


def missing_required(*, entity: str, mapping: dict[str, str]) -> list[FieldSpec]:
    chosen = set(mapping.values())
    missing = [s for s in FIELDS[entity] if s.required and s.key not in chosen]
    if entity == Entity.CUSTOMERS and not chosen & {"phone", "email", "code"}:
        missing += [s for s in FIELDS[entity] if s.key == "phone"]
    if entity in (Entity.CONTACTS, Entity.FOLLOWUPS) and not chosen & {
        "customer_code",
        "customer_name",
        *(["phone"] if entity == Entity.FOLLOWUPS else []),
    }:
        missing += [s for s in FIELDS[entity] if s.key == "customer_code"]
    return missing


def template_from_mapping(*, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """What a saved template keeps: normalised header → field, so it fits other files."""
    return {normalize_header(headers[int(i)]): key for i, key in mapping.items()}

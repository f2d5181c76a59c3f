import datetime as dt
import random

import pytest

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.imports.mapping import auto_map
from guanxi.imports.rows import RowContext, clean_row, parse_date
from guanxi.imports.tests.factories import (
    SEED_ENGLISH,
    SEED_HEADERS,
    SEED_TABLE_003,
    SEED_TABLE_004,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (SEED_HEADERS, ["name", "industry", "contact_name", "phone", "level", "tags"]),
        (SEED_ENGLISH, ["code", "name", "industry", "contact_name", "phone", "email", "level",
                        "tags", "last_contact"]),
        (SEED_TABLE_003, ["code", "name", "industry", "contact_name", "phone", "demand", "intent",
                          None, "owner"]),
        # 合作阶段: the cooperation-stage custom field that deals/0003 defines.
        (SEED_TABLE_004, ["code", "name", "industry", "contact_name", "contact_title", "phone",
                          "demand", "custom:cooperation_stage", "owner", "last_contact"]),
        (["客户名称（必填）", "Phone *", " E-mail ", "预计成交时间", "客户来源", "地址"],
         ["name", "phone", "email", "expected_close_date", "source", "address"]),
    ],
)  # fmt: skip
def test_seed_headers_are_matched(headers, expected):
    mapping = auto_map(entity="customers", headers=headers)
    assert [mapping.get(str(i)) for i in range(len(headers))] == expected


def test_template_mapping_wins_over_aliases():
    mapping = auto_map(entity="customers", headers=["备注", "X"], template={"x": "name"})
    assert mapping == {"0": "remarks", "1": "name"}


def _clean(actor, row: dict):
    headers = list(row)
    context = RowContext.build(
        actor=actor, entity="customers", mapping=auto_map(entity="customers", headers=headers)
    )
    return clean_row(context, 2, list(row.values()))


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        (13812345678.0, "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("８６１３８１２３４５６７８", "+8613812345678"),
        ("010-12345678", "+861012345678"),
        ("(021) 6123 4567", "+862161234567"),
    ],
)
def test_phones_become_e164(raw, e164):
    admin = UserFactory(role_slug="admin")
    row = _clean(admin, {"客户名称": "甲", "手机号": raw})
    assert (row.reasons, row.values["phone"]) == ([], e164)


def test_bad_phone_and_email_are_reasons():
    admin = UserFactory(role_slug="admin")
    row = _clean(admin, {"客户名称": "甲", "手机号": "12345", "邮箱": "not-an-email"})
    assert len(row.reasons) == 2
    assert row.reasons[0].startswith("Phone:") and row.reasons[1].startswith("Email:")


def test_name_and_a_contact_channel_are_required():
    admin = UserFactory(role_slug="admin")
    row = _clean(admin, {"客户名称": "", "手机号": ""})
    assert row.reasons == [
        "Customer name: required.",
        "Please fill in the customer name and contact phone.",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01", dt.date(2024, 5, 1)),
        ("2024/5/1", dt.date(2024, 5, 1)),
        ("2024年5月1日", dt.date(2024, 5, 1)),
        ("20240501", dt.date(2024, 5, 1)),
        (45413, dt.date(2024, 5, 1)),
        ("45413", dt.date(2024, 5, 1)),
        ("2024-05-01 10:30", dt.datetime(2024, 5, 1, 10, 30)),
        (dt.date(2024, 5, 1), dt.date(2024, 5, 1)),
    ],
)
def test_dates_in_every_common_form(raw, expected):
    assert parse_date(raw) == expected


def test_unreadable_date_is_a_reason():
    admin = UserFactory(role_slug="admin")
    row = _clean(admin, {"客户名称": "甲", "手机号": "13812345678", "预计成交时间": "下个月"})
    assert row.reasons == ["Expected close date: “下个月” is not a date (write it as 2024-05-01)."]


def test_enums_by_label_in_either_language_and_tags_split():
    admin = UserFactory(role_slug="admin")
    row = _clean(
        admin,
        {"客户名称": "甲", "手机号": "13812345678", "意向等级": "High", "层级": "高价值客户",
         "行业": "制造业", "客户来源": "展会", "标签": "关注新品，预算有限、VIP;老客户"},
    )  # fmt: skip
    assert row.reasons == []
    values = row.values
    assert (values["intent"], values["source"]) == ("high", "exhibition")
    assert values["tags"] == ["VIP", "关注新品", "老客户", "预算有限"]


def test_unknown_enum_value_is_a_reason():
    admin = UserFactory(role_slug="admin")
    row = _clean(admin, {"客户名称": "甲", "手机号": "13812345678", "意向等级": "非常高"})
    assert row.reasons == ["Intent: “非常高” is not a known value."]


def test_owner_by_username_or_display_name_within_the_importers_team():
    team = TeamFactory()
    supervisor = UserFactory(role_slug="supervisor", team=team)
    mate = UserFactory(role_slug="sales", team=team, username="wang", display_name="王五")
    stranger = UserFactory(role_slug="sales", username="zhao")
    by_name = _clean(supervisor, {"客户名称": "甲", "手机号": "13812345678", "负责人": "王五"})
    by_username = _clean(supervisor, {"客户名称": "甲", "手机号": "13812345678", "负责人": "WANG"})
    outside = _clean(supervisor, {"客户名称": "甲", "手机号": "13812345678", "负责人": "zhao"})
    assert by_name.values["owner_id"] == by_username.values["owner_id"] == mate.pk
    assert outside.reasons == ["Owner: “zhao” is not a user you can assign customers to."]
    assert stranger.pk not in (by_name.values["owner_id"],)


def test_fast_mobile_path_agrees_with_phonenumbers():
    import random

    from guanxi.core.phones import InvalidPhone, normalize_phone
    from guanxi.imports.rows import _phone

    rng = random.Random(7)
    for _ in range(3000):
        raw = f"1{rng.randrange(10**10):010d}"
        try:
            expected = (normalize_phone(raw), True)
        except InvalidPhone:
            expected = ("", False)
        value, error = _phone(raw)
        assert (value, not error) == expected, raw


def test_word_cached_pinyin_keys_read_as_lazy_pinyin_reads_the_whole_name():
    """core.pinyin converts word by word with a cache; the readings must be those of
    pypinyin.lazy_pinyin over the whole name (phrase-aware: 重庆, 银行, 长沙, 行长)."""
    import re

    from pypinyin import Style, lazy_pinyin
    from pypinyin.constants import PHRASES_DICT

    from guanxi.core.pinyin import pinyin_keys

    def reference(text):
        parts = lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: ["\x00" + s])
        full = "".join(p[1:].lower() if p.startswith("\x00") else p for p in parts)
        initials = "".join(p[1:].lower() if p.startswith("\x00") else p[:1] for p in parts)
        keep = re.compile(r"[^a-z0-9]")
        return keep.sub("", full.lower())[:400], keep.sub("", initials.lower())[:200]

    names = ["重庆银行股份有限公司", "长沙长虹电器", "行长", "ABC科技 Co.,Ltd", "上海某某科技有限公司",
             "厦门 重工", "乐乐音乐", "单县单氏商行", "张三", "群英模具", "", "中国人民银行行长",
             "长长长长", "〇一二", "ＡＢＣ重庆", "重庆\n银行", "𠀀𠀁科技"]  # fmt: skip
    # Random names built from pypinyin's own phrases (so that words overlap across the
    # joins, where a greedy cut differs from a per-word one), polyphonic characters, Latin
    # letters, digits and punctuation.
    rng = random.Random(7)
    phrases = sorted(PHRASES_DICT)
    pieces = [*"重行长乐单厦还都传朝调", "有限公司", "科技", "Co.", " ", "-", "08", "（上海）"]
    for _ in range(3000):
        names.append("".join(
            rng.choice(phrases) if rng.random() < 0.6 else rng.choice(pieces)
            for _ in range(rng.randint(1, 6))
        ))  # fmt: skip
    assert [pinyin_keys(n) for n in names] == [reference(n) if n else ("", "") for n in names]


def test_several_reasons_read_as_one_run_of_sentences():
    from guanxi.imports.rows import join_reasons

    assert join_reasons(["电话无效。", "意向等级无法识别。"]) == "电话无效。意向等级无法识别。"
    assert join_reasons(["Bad phone.", "Unknown intent."]) == "Bad phone. Unknown intent."
    assert join_reasons([]) == ""


def test_plain_email_fast_path_accepts_only_what_django_accepts():
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from guanxi.imports.rows import _PLAIN_EMAIL, email_valid

    rng = random.Random(11)
    samples = ["user@example.com", "a.b@c.co", "a..b@c.com", ".a@b.com", "a@-b.com", "a@b-.com",
               "a@b.c", "a@b.com.", "x@" + "a" * 64 + ".com", "u" * 250 + "@a.cn", "张三@例子.中国"]  # fmt: skip

    def chunk(chars, low, high):
        return "".join(rng.choice(chars) for _ in range(rng.randint(low, high)))

    for _ in range(20000):
        labels = [chunk("ab1-", 1, 5) for _ in range(rng.randint(1, 3))]
        samples.append(chunk("ab1._-+%", 1, 6) + "@" + ".".join(labels) + "." + chunk("co1-", 2, 3))
    fast = 0
    for sample in samples:
        try:
            validate_email(sample)
            django_ok = True
        except ValidationError:
            django_ok = False
        if len(sample) <= 254 and _PLAIN_EMAIL.fullmatch(sample):
            fast += 1
            assert django_ok, sample
        assert email_valid(sample) == django_ok, sample
    assert fast > 500  # the fast path was exercised, not only the validator

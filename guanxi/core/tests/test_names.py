import pytest

from guanxi.core.names import company_name_key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("上海某某科技有限公司", "上海某某科技"),
        ("上海某某科技公司", "上海某某科技"),
        ("某某科技(上海)有限公司", "某某科技"),
        ("某某科技（上海）有限公司", "某某科技"),
        ("北京华为技术股份有限公司", "北京华为技术"),
        ("ＡＣＭＥ Co., Ltd.", "acme"),
        ("Taco Inc", "taco"),
        ("  上海 某某 科技 ", "上海某某科技"),
        ("张三", "张三"),
    ],
)
def test_legal_forms_brackets_width_and_spacing_fold_to_one_key(name, key):
    assert company_name_key(name) == key


def test_a_name_that_is_only_a_legal_form_keeps_itself():
    assert company_name_key("公司") == "公司"
    assert company_name_key("") == ""


def test_the_services_keep_the_key_in_step_with_the_name(db):
    from guanxi.accounts.tests.factories import UserFactory
    from guanxi.customers.services import customer_create, customer_update

    admin = UserFactory(role_slug="admin")
    customer = customer_create(
        actor=admin, data={"name": "上海某某科技有限公司", "phone": "13800138000"}
    )
    assert customer.name_key == "上海某某科技"
    customer = customer_update(actor=admin, customer=customer, data={"name": "杭州某某网络公司"})
    assert customer.name_key == "杭州某某网络"


def test_key_by_last_character_strips_as_the_plain_loop_over_every_form():
    """company_name_key only tries the legal forms that end with the name's last character;
    it must strip exactly what trying every form in order strips."""
    import random
    import re
    import unicodedata

    from guanxi.core import names

    def reference(name):
        text = unicodedata.normalize("NFKC", name).lower().strip()
        without = names._BRACKETS.sub("", text).strip() or text
        changed = True
        while changed:
            changed = False
            stripped = without.rstrip(" .,")
            for form in names._LEGAL_FORMS:
                if stripped.endswith(form) and len(stripped) > len(form):
                    head = stripped[: -len(form)]
                    if form.isascii() and head[-1:].isalnum():
                        continue
                    without, changed = head, True
                    break
        key = re.sub(r"[\s\W_]+", "", without)
        return (key or re.sub(r"[\s\W_]+", "", text))[:200]

    rng = random.Random(3)
    parts = [*names._LEGAL_FORMS, "上海", "某某", "科技", "Taco", " ", ".", "（北京）", "A", "1"]
    samples = ["".join(rng.choice(parts) for _ in range(rng.randint(1, 5))) for _ in range(5000)]
    assert [names.company_name_key(s) for s in samples] == [reference(s) for s in samples]

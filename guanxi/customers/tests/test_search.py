"""Search semantics of customer_list: every branch of search_q, and capped_count."""

from __future__ import annotations

import pytest

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers import selectors
from guanxi.customers.selectors import CustomerFilters, capped_count, customer_list
from guanxi.customers.services import customer_update
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(role_slug="sales")


def _found(user, term: str) -> set[int]:
    return set(
        customer_list(user=user, filters=CustomerFilters(search=term)).values_list("pk", flat=True)
    )


def test_chinese_part_of_the_name_finds_the_customer(owner):
    hit = CustomerFactory(owner=owner, name="上海华泰精密机械有限公司")
    CustomerFactory(owner=owner, name="北京宏达物流有限公司")
    assert _found(owner, "华泰精密") == {hit.pk}


def test_latin_part_of_the_name_matches_in_any_case(owner):
    hit = CustomerFactory(owner=owner, name="IBM中国有限公司")
    assert _found(owner, "ibm") == {hit.pk}
    assert _found(owner, "xyz") == set()


def test_code_matches_whatever_the_case(owner):
    hit = CustomerFactory(owner=owner, code="C20240501007")
    assert _found(owner, "c20240501007") == {hit.pk}


def test_phone_typed_another_way_matches_main_and_other_phone(owner):
    main = ContactFactory(customer=CustomerFactory(owner=owner), phone="+8613812345678")
    other = ContactFactory(
        customer=CustomerFactory(owner=owner), phone="+8613900000000", phone_alt="+8613812345678"
    )
    assert _found(owner, "138 1234 5678") == {main.customer_id, other.customer_id}
    assert _found(owner, "+86-139-0000-0001") == set()


def test_email_matches_whatever_the_case(owner):
    contact = ContactFactory(customer=CustomerFactory(owner=owner), email="li.na@example.com")
    assert _found(owner, "Li.Na@Example.com") == {contact.customer_id}


def test_contact_name_matches(owner):
    contact = ContactFactory(
        customer=CustomerFactory(owner=owner, name="宏达物流"), name="欧阳娜娜"
    )
    assert _found(owner, "欧阳娜娜") == {contact.customer_id}


def test_pinyin_full_and_initials_match_as_prefixes(owner):
    hit = CustomerFactory(owner=owner, name="张三")
    CustomerFactory(owner=owner, name="李四")
    assert _found(owner, "zhangsan") == {hit.pk}
    assert _found(owner, "zhang") == {hit.pk}
    assert _found(owner, "zs") == {hit.pk}
    assert _found(owner, "sanzhang") == set()


def test_search_stays_inside_the_viewers_scope(owner):
    other = UserFactory(role_slug="sales")
    CustomerFactory(owner=other, name="张三")
    assert _found(owner, "zs") == set()
    assert len(_found(other, "zs")) == 1


def test_search_keeps_the_newest_first_order(owner):
    older = CustomerFactory(owner=owner, name="华泰一号")
    newer = CustomerFactory(owner=owner, name="华泰二号")
    qs = customer_list(user=owner, filters=CustomerFilters(search="华泰"))
    assert list(qs.values_list("pk", flat=True)) == [newer.pk, older.pk]


def test_capped_count_counts_exactly_up_to_the_cap(owner):
    for _ in range(4):
        CustomerFactory(owner=owner)
    qs = customer_list(user=owner)
    assert capped_count(qs, cap=10) == 4
    assert capped_count(qs, cap=2) == 3  # cap + 1 means "more than cap"


def test_renamed_customer_is_found_by_its_new_name_only(owner):
    customer = CustomerFactory(owner=owner, name="旧名字科技有限公司")
    customer_update(actor=None, customer=customer, data={"name": "新名字物流有限公司"})
    assert _found(owner, "新名字物流") == {customer.pk}
    assert _found(owner, "旧名字科技") == set()


def test_deleted_customer_is_not_found(owner):
    customer = CustomerFactory(owner=owner, name="华泰精密机械")
    customer.delete()
    assert _found(owner, "华泰精密") == set()


def test_many_matches_are_found_through_the_subquery(owner, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_IDS_INLINE", 1)
    hits = {CustomerFactory(owner=owner, name=f"华泰{n}号").pk for n in range(3)}
    assert _found(owner, "华泰") == hits


def test_quotes_and_wildcards_in_the_term_are_plain_characters(owner):
    hit = CustomerFactory(owner=owner, name='A"B%C_D公司')
    CustomerFactory(owner=owner, name="AxBxCxD公司")
    assert _found(owner, 'A"B%C_D') == {hit.pk}
    assert _found(owner, "B%C") == {hit.pk}

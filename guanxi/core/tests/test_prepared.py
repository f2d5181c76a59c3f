import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.accounts.models import Team
from guanxi.core.prepared import forget_prepared, prepared_values, prepared_values_in

pytestmark = pytest.mark.django_db


def test_compiled_once_then_run_with_each_new_value():
    a, b = Team.objects.create(name="甲"), Team.objects.create(name="乙")
    forget_prepared()
    calls = []

    def build(value):
        calls.append(value)
        return Team.objects.filter(pk=value).values("id", "name")

    assert prepared_values(key="team", build=build, value=a.pk) == [{"id": a.pk, "name": "甲"}]
    with CaptureQueriesContext(connection) as ctx:
        assert prepared_values(key="team", build=build, value=b.pk) == [{"id": b.pk, "name": "乙"}]
    assert len(calls) == 1  # built (and compiled) once
    assert len(ctx.captured_queries) == 1


def test_a_query_that_does_not_use_the_value_runs_through_the_orm_each_time():
    team = Team.objects.create(name="甲")
    forget_prepared()
    calls = []

    def build(value):
        calls.append(value)
        return Team.objects.filter(name="甲").values("id")

    for value in (1, 2):
        assert prepared_values(key="by-name", build=build, value=value) == [{"id": team.pk}]
    assert calls[1:] == [1, 2]  # after the one trial compile: the ORM with the real value


def test_a_query_that_can_match_nothing_answers_empty_without_sql():
    forget_prepared()
    prepared_values(key="none", build=lambda v: Team.objects.none().values("id"), value=1)
    with CaptureQueriesContext(connection) as ctx:
        assert prepared_values(key="none", build=lambda v: Team.objects.none(), value=2) == []
    assert ctx.captured_queries == []


def test_several_ids_each_take_their_place_whatever_the_order():
    teams = [Team.objects.create(name=f"队{i}") for i in range(4)]
    forget_prepared()

    def build(values):
        return Team.objects.filter(pk__in=values).order_by("pk").values("name")

    ids = [t.pk for t in teams]
    first = prepared_values_in(key="teams", build=build, values=[ids[0], ids[2]])
    again = prepared_values_in(key="teams", build=build, values=[ids[3], ids[1]])
    three = prepared_values_in(key="teams", build=build, values=ids[:3])
    assert [r["name"] for r in first] == ["队0", "队2"]
    assert [r["name"] for r in again] == ["队1", "队3"]
    assert [r["name"] for r in three] == ["队0", "队1", "队2"]

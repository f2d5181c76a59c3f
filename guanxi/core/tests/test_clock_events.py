import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from guanxi.core import clock
from guanxi.core.events import Event, publish, subscribe, unsubscribe


def test_frozen_clock_and_restore():
    instant = timezone.make_aware(dt.datetime(2024, 5, 1, 9, 0))
    with clock.frozen_at(instant):
        assert clock.now() == instant
        assert clock.today() == dt.date(2024, 5, 1)
    assert clock.now() != instant


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_events_are_delivered_after_commit_only():
    seen: list[str] = []

    def listener(event: Event) -> None:
        seen.append(event.name)

    subscribe(listener)
    try:
        with transaction.atomic():
            publish(Event(name="kept"))
            assert seen == []
        try:
            with transaction.atomic():
                publish(Event(name="rolled-back"))
                raise RuntimeError
        except RuntimeError:
            pass
    finally:
        unsubscribe(listener)
    assert seen == ["kept"]

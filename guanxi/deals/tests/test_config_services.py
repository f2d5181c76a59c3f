import pytest

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.deals import config_services
from guanxi.deals.models import DealStage, StageKind
from guanxi.deals.tests.factories import DealFactory, stage

pytestmark = pytest.mark.django_db


def test_admin_adds_and_edits_a_stage():
    admin = UserFactory(role_slug="admin")
    created = config_services.stage_save(
        actor=admin,
        instance=None,
        data={"code": "trial", "name": "试用中", "name_en": "Trial", "order": 3,
              "probability": 40, "kind": "open", "is_active": True},
    )  # fmt: skip
    config_services.stage_save(actor=admin, instance=created, data={"code": "x", "probability": 45})
    created.refresh_from_db()
    assert (created.code, created.probability) == ("trial", 45)
    assert ActivityEvent.objects.filter(target_type="deals.dealstage").count() == 2


def test_sales_cannot_change_stages():
    with pytest.raises(PermissionDeniedError):
        config_services.stage_save(
            actor=UserFactory(role_slug="sales"), instance=stage("needs"), data={"name": "X"}
        )
    assert stage("needs").name == "需求确认"


def test_the_last_active_won_stage_cannot_be_deactivated():
    admin = UserFactory(role_slug="admin")
    won = stage("won")
    with pytest.raises(ApplicationError) as exc:
        config_services.stage_save(
            actor=admin, instance=won, data={"name": "已成交", "is_active": False}
        )
    assert "is_active" in exc.value.errors
    assert DealStage.objects.get(code="won").is_active


def test_a_used_stage_cannot_change_kind_or_be_deleted():
    admin = UserFactory(role_slug="admin")
    DealFactory(stage=stage("needs"))
    with pytest.raises(ApplicationError) as exc:
        config_services.stage_save(
            actor=admin, instance=stage("needs"), data={"name": "需求确认", "kind": StageKind.WON}
        )
    assert "kind" in exc.value.errors
    with pytest.raises(ApplicationError):
        config_services.stage_delete(actor=admin, stage=stage("needs"))
    assert DealStage.objects.filter(code="needs", kind="open").exists()


def test_an_unused_stage_can_be_deleted():
    admin = UserFactory(role_slug="admin")
    config_services.stage_delete(actor=admin, stage=stage("needs"))
    assert not DealStage.objects.filter(code="needs").exists()

"""Requesting and running exports: permission, scope, masking, filters, audit, jobs."""

import datetime as dt

import pytest

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Source, Verb
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, PermissionDeniedError
from guanxi.customers.models import Intent, Level, Tag
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.exports import conf, services
from guanxi.exports.models import ExportJob, ExportStatus
from guanxi.exports.tests.helpers import job_rows
from guanxi.followups.models import FollowUp, Task

pytestmark = pytest.mark.django_db


def export(actor, **kwargs):
    params = {"entity": "customers", "file_format": "xlsx", "fields": ["code", "name", "phone"]}
    params.update(kwargs)
    return services.export_request(actor=actor, **params)


def audit(verb):
    return ActivityEvent.objects.filter(target_type="exports.exportjob", verb=verb)


# --- authorization -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "service"])
def test_roles_without_the_export_permission_are_refused_and_nothing_is_written(role):
    CustomerFactory()
    with pytest.raises(PermissionDeniedError):
        export(UserFactory(role_slug=role))
    assert ExportJob.objects.count() == 0
    assert not audit(Verb.CREATED).exists()


@pytest.mark.parametrize("role", ["supervisor", "marketing", "finance", "admin"])
def test_roles_with_the_export_permission_may_export(role):
    user = UserFactory(role_slug=role)
    CustomerFactory(owner=user)
    assert export(user).status == ExportStatus.DONE


def test_a_supervisor_exports_only_the_teams_customers():
    team = TeamFactory()
    boss = UserFactory(role_slug="supervisor", team=team)
    mine = CustomerFactory(owner=UserFactory(team=team), name="本组客户")
    CustomerFactory(name="别组客户")
    rows = job_rows(export(boss))
    assert [r[1] for r in rows[1:]] == [mine.name]


def test_finance_gets_phones_masked_as_on_screen():
    ContactFactory(phone="+8613812348000")
    rows = job_rows(export(UserFactory(role_slug="finance"), fields=["phone"]))
    assert rows[1] == ["138****8000"]


def test_an_admin_gets_phones_in_the_screens_readable_form():
    ContactFactory(phone="+8613812348000", email="Li@Example.com")
    rows = job_rows(export(UserFactory(role_slug="admin"), fields=["phone", "email"]))
    assert rows[1] == ["138 1234 8000", "Li@Example.com"]


# --- filters, selection, columns ------------------------------------------------------------


def test_the_customer_lists_query_string_filters_the_export():
    admin = UserFactory(role_slug="admin")
    high = CustomerFactory(intent=Intent.HIGH)
    CustomerFactory(intent=Intent.LOW)
    job = export(admin, query="intent=high&page=3")
    assert [r[0] for r in job_rows(job)[1:]] == [high.code]
    assert job.query == "intent=high"
    assert job.description == "意向等级: 高"


def test_ticked_rows_limit_the_export_to_them():
    admin = UserFactory(role_slug="admin")
    picked, _other = CustomerFactory(), CustomerFactory()
    job = export(admin, ids=[picked.pk])
    assert [r[0] for r in job_rows(job)[1:]] == [picked.code]


def test_ticked_rows_outside_the_scope_are_not_exported():
    boss = UserFactory(role_slug="supervisor")
    outsider = CustomerFactory()
    assert job_rows(export(boss, ids=[outsider.pk])) == [["编码", "客户名称", "电话"]]


def test_labels_are_exported_by_name_and_tags_joined():
    admin = UserFactory(role_slug="admin")
    customer = CustomerFactory(level=Level.objects.get(code="potential"))
    customer.tags.add(Tag.objects.create(name="重要"), Tag.objects.create(name="VIP"))
    job = export(admin, fields=["level", "owner", "tags"])
    assert job_rows(job)[1] == [str(customer.level), customer.owner.label, "VIP、重要"]


def test_a_formula_in_a_customer_name_arrives_as_text():
    CustomerFactory(name="=cmd|' /C calc'!A0")
    rows = job_rows(export(UserFactory(role_slug="admin"), fields=["name"], file_format="csv"))
    assert rows[1] == ["'=cmd|' /C calc'!A0"]


def test_unknown_fields_are_refused_with_a_message_on_the_field():
    with pytest.raises(ApplicationError) as caught:
        export(UserFactory(role_slug="admin"), fields=["code", "password"])
    assert "password" in caught.value.errors["fields"][0]
    assert ExportJob.objects.count() == 0


def test_an_empty_field_choice_is_refused():
    with pytest.raises(ApplicationError) as caught:
        export(UserFactory(role_slug="admin"), fields=[])
    assert caught.value.errors["fields"] == ["请至少选择一个字段。"]


def test_contacts_follow_the_customer_filter():
    admin = UserFactory(role_slug="admin")
    contact = ContactFactory(customer=CustomerFactory(intent=Intent.HIGH), name="高意向联系人")
    ContactFactory(customer=CustomerFactory(intent=Intent.LOW))
    job = export(admin, entity="contacts", query="intent=high", fields=["name"])
    assert job_rows(job)[1:] == [[contact.name]]


def test_followups_are_exported_in_the_viewers_scope():
    sales = UserFactory(role_slug="sales")
    boss = UserFactory(role_slug="supervisor", team=sales.team)
    when = clock.now()
    FollowUp.objects.create(customer=CustomerFactory(owner=sales), author=sales,
                            occurred_at=when, content="谈了报价")  # fmt: skip
    FollowUp.objects.create(customer=CustomerFactory(), occurred_at=when, content="别组")
    job = export(boss, entity="followups", fields=["content", "author", "channel"])
    assert job_rows(job)[1:] == [["谈了报价", sales.label, "电话"]]


def test_tasks_assigned_to_me_only():
    boss = UserFactory(role_slug="supervisor")
    due = clock.now() + dt.timedelta(days=1)
    Task.objects.create(title="回访", assignee=boss, due_at=due)
    Task.objects.create(title="别人的", assignee=UserFactory(team=boss.team), due_at=due)
    job = export(boss, entity="tasks", query="mine=on", fields=["title", "status"])
    assert job_rows(job)[1:] == [["回访", "未完成"]]


# --- audit --------------------------------------------------------------------------------


def test_an_export_is_audited_with_who_what_filter_and_rows():
    admin = UserFactory(role_slug="admin")
    CustomerFactory(intent=Intent.HIGH)
    job = export(admin, query="intent=high")
    created, completed = audit(Verb.CREATED).get(), audit(Verb.COMPLETED).get()
    assert (created.actor, created.target_id, created.summary) == (admin, job.pk, "意向等级: 高")
    assert created.source == Source.UI
    assert completed.changes["row_count"] == [None, 1]


def test_the_cli_and_api_sources_are_recorded():
    job = export(UserFactory(role_slug="admin"), source=Source.API)
    assert audit(Verb.CREATED).get(target_id=job.pk).source == Source.API


# --- jobs -----------------------------------------------------------------------------------


def test_a_large_export_runs_as_a_background_job(settings):
    settings.GUANXI_EXPORT_INLINE_ROWS = 1
    settings.GUANXI_EXPORT_CHUNK_ROWS = 2
    admin = UserFactory(role_slug="admin")
    for _ in range(5):
        CustomerFactory()
    job = export(admin)
    # The immediate backend of the tests ran the worker's task inside the request.
    assert (job.status, job.row_count, job.total_rows, job.attempts) == ("done", 5, 5, 1)
    assert len(job_rows(job)) == 6


def test_running_a_finished_job_again_changes_nothing():
    job = export(UserFactory(role_slug="admin"))
    again = services.export_run(job_id=job.pk)
    assert (again.attempts, again.file_path) == (1, job.file_path)
    assert audit(Verb.COMPLETED).count() == 1


def test_a_job_interrupted_mid_way_is_written_again_from_the_start(settings):
    settings.GUANXI_EXPORT_INLINE_ROWS = 0
    admin = UserFactory(role_slug="admin")
    CustomerFactory()
    job = export(admin, run="caller")
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempts=1, row_count=7)
    job = services.export_run(job_id=job.pk)
    assert (job.status, job.row_count, job.attempts) == ("done", 1, 2)
    assert audit(Verb.COMPLETED).count() == 1


def test_a_stale_running_job_is_enqueued_again():
    admin = UserFactory(role_slug="admin")
    job = export(admin, run="caller")
    past = clock.now() - dt.timedelta(hours=1)
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempts=1, heartbeat_at=past)
    assert services.exports_recover() == 1
    assert ExportJob.objects.get(pk=job.pk).status == "done"


def test_a_job_interrupted_too_often_fails():
    job = export(UserFactory(role_slug="admin"), run="caller")
    past = clock.now() - dt.timedelta(hours=1)
    ExportJob.objects.filter(pk=job.pk).update(status="running", attempts=3, heartbeat_at=past)
    assert services.exports_recover() == 0
    assert ExportJob.objects.get(pk=job.pk).status == "failed"


def test_a_job_fails_when_its_owner_lost_the_permission_meanwhile():
    admin = UserFactory(role_slug="supervisor")
    job = export(admin, run="caller")
    admin.role = UserFactory(role_slug="sales").role
    admin.save()
    job = services.export_run(job_id=job.pk)
    assert job.status == "failed"
    assert not list(conf.export_dir().glob("*"))


def test_a_large_csv_is_zipped(settings):
    settings.GUANXI_EXPORT_ZIP_ROWS = 1
    admin = UserFactory(role_slug="admin")
    CustomerFactory(), CustomerFactory()
    job = export(admin, file_format="csv")
    assert job.file_name.endswith(".zip") and job.file_path.endswith(".zip")
    assert len(job_rows(job)) == 3


def test_expired_files_are_deleted_and_the_job_kept():
    job = export(UserFactory(role_slug="admin"))
    path = conf.export_dir() / job.file_path
    with clock.frozen_at(job.expires_at + dt.timedelta(seconds=1)):
        assert services.exports_expire() == 1
    job.refresh_from_db()
    assert (job.status, job.file_path, path.exists()) == ("expired", "", False)


def test_files_before_expiry_are_kept():
    job = export(UserFactory(role_slug="admin"))
    assert services.exports_expire() == 0
    assert (conf.export_dir() / job.file_path).exists()

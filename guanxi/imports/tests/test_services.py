import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Source
from guanxi.core import events
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers.models import Contact, Customer
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.followups.models import FollowUp
from guanxi.imports import running, services
from guanxi.imports.models import ImportJob, ImportRecord, Status
from guanxi.imports.reading import FileRejected
from guanxi.imports.tests.factories import SEED_HEADERS, job_from, run, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADERS = ["客户名称", "联系人", "手机号", "邮箱", "层级", "标签", "负责人"]


def _file(*rows) -> bytes:
    return xlsx_bytes([HEADERS, *[list(r) for r in rows]])


ROW_A = (
    "上海甲科技有限公司",
    "王经理",
    "13812345678",
    "wang@example.com",
    "高价值客户",
    "VIP,新品",
    "",
)
ROW_B = ("北京乙贸易有限公司", "李总", "13912345678", "", "潜在客户", "", "")


@pytest.fixture
def captured():
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    yield seen
    events.unsubscribe(seen.append)


def test_import_creates_customers_with_primary_contact_tags_and_audit(
    django_capture_on_commit_callbacks,
):
    admin = UserFactory(role_slug="admin")
    with django_capture_on_commit_callbacks(execute=True):
        job = run(admin, _file(ROW_A, ROW_B))
    assert (job.status, job.created_count, job.invalid_count) == (Status.DONE, 2, 0)
    customer = Customer.objects.get(name=ROW_A[0])
    contact = customer.contacts.get()
    assert (contact.name, contact.phone, contact.email, contact.is_primary) == (
        "王经理", "+8613812345678", "wang@example.com", True,
    )  # fmt: skip
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "新品"]
    assert customer.level.code == "high_value" and customer.owner == admin
    assert customer.name_key == "上海甲科技" and customer.name_pinyin
    audit = ActivityEvent.objects.get(customer_id=customer.pk, verb="created")
    assert (audit.source, audit.actor, audit.changes["contact.phone"]) == (
        Source.IMPORT, admin, [None, "+8613812345678"],
    )  # fmt: skip
    assert ImportRecord.objects.filter(job=job, action="created").count() == 2


def test_automation_hears_imported_customers_only_when_asked(
    captured, django_capture_on_commit_callbacks
):
    admin = UserFactory(role_slug="admin")
    with django_capture_on_commit_callbacks(execute=True):
        run(admin, _file(ROW_A))
        run(admin, _file(ROW_B), automation=True)
    assert [(e.name, e.source) for e in captured] == [("customer.created", Source.IMPORT)]
    assert captured[0].customer_id == Customer.objects.get(name=ROW_B[0]).pk


def test_dry_run_counts_and_writes_nothing():
    admin = UserFactory(role_slug="admin")
    CustomerFactory(name="已有客户")
    ContactFactory(phone="+8613912345678")
    job = job_from(admin, _file(ROW_A, ROW_B, ("坏行", "", "123", "", "", "", "")))
    job = services.import_job_check(actor=admin, job=job, background=False)
    assert job.status == Status.VALIDATED
    assert {k: job.check_counts[k] for k in ("created", "duplicates", "invalid")} == {
        "created": 1, "duplicates": 1, "invalid": 1,
    }  # fmt: skip
    assert not Customer.objects.filter(name=ROW_A[0]).exists()
    assert list(job.problems.values_list("row", "kind")) == [(3, "duplicate"), (4, "invalid")]


def test_duplicates_within_the_file_are_skipped():
    admin = UserFactory(role_slug="admin")
    job = run(admin, _file(ROW_A, ("另一家公司", "", "138 1234 5678", "", "", "", "")))
    assert (job.created_count, job.duplicate_count) == (1, 1)
    assert job.problems.get(dry_run=False).reason == "Duplicate of row 2 in this file."


def test_update_mode_updates_and_a_second_run_creates_nothing():
    admin = UserFactory(role_slug="admin")
    run(admin, _file(ROW_A))
    changed = list(ROW_A)
    changed[4], changed[5] = "潜在客户", "老客户"
    first = run(admin, _file(changed, ROW_B), mode="update")
    second = run(admin, _file(changed, ROW_B), mode="update")
    customer = Customer.objects.get(name=ROW_A[0])
    assert (first.created_count, first.updated_count) == (1, 1)
    assert (second.created_count, second.updated_count, second.duplicate_count) == (0, 0, 2)
    assert customer.level.code == "potential"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "新品", "老客户"]
    assert Customer.objects.count() == 2


def test_create_mode_creates_a_phone_duplicate_anyway():
    admin = UserFactory(role_slug="admin")
    run(admin, _file(ROW_A))
    job = run(admin, _file(ROW_A), mode="create")
    assert job.created_count == 1
    assert Customer.objects.filter(name=ROW_A[0]).count() == 2


def test_match_outside_the_importers_scope_is_skipped_and_not_named():
    team = TeamFactory()
    supervisor = UserFactory(role_slug="supervisor", team=team)
    hidden = ContactFactory(phone="+8613812345678", customer__name="别组的客户")
    job = run(supervisor, _file(ROW_A), mode="update")
    assert (job.created_count, job.updated_count, job.duplicate_count) == (0, 0, 1)
    problem = job.problems.get(dry_run=False)
    assert problem.reason == "Matches an existing customer you cannot see."
    assert "别组" not in problem.reason
    hidden.customer.refresh_from_db()
    assert hidden.customer.version == 1


def test_likely_duplicate_by_company_name_is_flagged_not_merged():
    admin = UserFactory(role_slug="admin")
    run(admin, _file(("上海某某科技有限公司", "", "13812345678", "", "", "", "")))
    job = run(admin, _file(("上海某某科技公司", "", "13912345678", "", "", "", "")))
    assert (job.created_count, job.likely_count) == (1, 1)
    assert "上海某某科技有限公司" in job.problems.get(dry_run=False, kind="likely").reason


def test_existing_customer_code_identifies_the_customer():
    admin = UserFactory(role_slug="admin")
    existing = CustomerFactory(code="C001", owner=admin)
    data = xlsx_bytes([["客户编号", "客户名称", "需求描述"], ["C001", existing.name, "采购50台"]])
    job = run(admin, data, mode="update")
    existing.refresh_from_db()
    assert (job.updated_count, existing.demand) == (1, "采购50台")


def test_undo_deletes_created_and_restores_updated_in_one_audited_action():
    admin = UserFactory(role_slug="admin")
    run(admin, _file(ROW_A))
    changed = list(ROW_A)
    changed[4] = "潜在客户"
    job = run(admin, _file(changed, ROW_B), mode="update")
    counts = services.import_job_undo(actor=admin, job=job)
    assert counts == {"deleted": 1, "restored": 1, "kept": 0}
    assert not Customer.objects.filter(name=ROW_B[0]).exists()
    assert Customer.objects.get(name=ROW_A[0]).level.code == "high_value"
    job.refresh_from_db()
    assert job.status == Status.UNDONE
    assert (
        ActivityEvent.objects.filter(
            target_type="imports.importjob", summary__startswith="undo"
        ).count()
        == 1
    )
    with pytest.raises(ConflictError):
        services.import_job_undo(actor=admin, job=job)


def test_undo_keeps_a_customer_edited_after_the_import():
    admin = UserFactory(role_slug="admin")
    job = run(admin, _file(ROW_A))
    Customer.objects.filter(name=ROW_A[0]).update(version=2)
    assert services.import_job_undo(actor=admin, job=job) == {
        "deleted": 0,
        "restored": 0,
        "kept": 1,
    }
    assert Customer.objects.filter(name=ROW_A[0]).exists()


def test_crash_mid_import_leaves_whole_batches_and_resume_does_the_rest(monkeypatch):
    admin = UserFactory(role_slug="admin")
    rows = [(f"公司{n}", "", f"1381234{n:04d}", "", "", "", "") for n in range(5)]
    job = job_from(admin, _file(*rows))
    job = services.import_job_check(actor=admin, job=job, background=False)
    monkeypatch.setattr(running, "BATCH_SIZE", 2)
    real = running._apply
    calls = {"n": 0}

    def dying(job, decisions, tally, prepared):
        calls["n"] += 1
        real(job, decisions, tally, prepared)
        if calls["n"] == 2:
            raise RuntimeError("worker killed")

    monkeypatch.setattr(running, "_apply", dying)
    with pytest.raises(RuntimeError):
        services.import_job_start(actor=admin, job=job, background=False)
    job.refresh_from_db()
    assert (job.status, job.last_committed_row, Customer.objects.count()) == (Status.FAILED, 3, 2)
    monkeypatch.setattr(running, "_apply", real)
    job = services.import_job_start(actor=admin, job=job, background=False)
    assert (job.status, job.created_count, Customer.objects.count()) == (Status.DONE, 5, 5)
    assert ImportRecord.objects.filter(job=job).count() == 5


def test_error_report_has_the_original_row_and_the_reason():
    admin = UserFactory(role_slug="admin")
    job = run(admin, _file(ROW_A, ("坏行", "", "12345", "", "", "", "")))
    report = load_workbook(
        job.error_report and running.stored_file(job).parents[0] / f"errors-{job.pk}.xlsx"
    )
    rows = list(report.active.values)
    assert rows[0] == (*HEADERS, "Reason")
    assert rows[1][:3] == ("坏行", None, "12345") and "Phone" in rows[1][-1]
    assert len(rows) == 2


def test_sales_cannot_import_and_nothing_is_kept():
    sales = UserFactory(role_slug="sales")
    with pytest.raises(PermissionDeniedError):
        job_from(sales, _file(ROW_A))
    assert (ImportJob.objects.count(), Customer.objects.count()) == (0, 0)


def test_rejected_file_leaves_no_job():
    admin = UserFactory(role_slug="admin")
    with pytest.raises(FileRejected):
        job_from(admin, xlsx_bytes([HEADERS]))
    assert ImportJob.objects.count() == 0


def test_started_job_cannot_start_twice():
    admin = UserFactory(role_slug="admin")
    job = run(admin, _file(ROW_A))
    with pytest.raises(ConflictError):
        services.import_job_start(actor=admin, job=job, background=False)
    assert Customer.objects.count() == 1


def test_seed_sample_table_imports():
    admin = UserFactory(role_slug="admin")
    data = xlsx_bytes([SEED_HEADERS, ["A公司", "制造业", "*经理", "13812345678", "高价值客户", "合作2年"],
                       ["B企业", "互联网", "*总监", "13912345678", "潜在客户", "关注新品"]])  # fmt: skip
    job = run(admin, data)
    assert (job.created_count, job.invalid_count) == (1, 1)
    assert "互联网" in job.problems.get(dry_run=False).reason


def test_contacts_of_existing_customers_are_added():
    admin = UserFactory(role_slug="admin")
    customer = CustomerFactory(code="C20240101001", owner=admin)
    data = xlsx_bytes([["客户编号", "联系人", "手机号"], ["C20240101001", "李工", "13912345678"],
                       ["C404", "王工", "13912345679"]])  # fmt: skip
    job = run(admin, data, entity="contacts")
    assert (job.created_count, job.invalid_count) == (1, 1)
    assert Contact.objects.get(customer=customer).phone == "+8613912345678"
    assert services.import_job_undo(actor=admin, job=job)["deleted"] == 1
    assert not Contact.objects.filter(customer=customer).exists()


def test_followup_history_is_imported_once():
    admin = UserFactory(role_slug="admin")
    customer = CustomerFactory(code="C20240101001", owner=admin)
    data = xlsx_bytes([["客户编号", "跟进时间", "跟进方式", "跟进内容"],
                       ["C20240101001", "2024/4/15", "电话", "介绍新品"]])  # fmt: skip
    first = run(admin, data, entity="followups")
    second = run(admin, data, entity="followups")
    followup = FollowUp.objects.get(customer=customer)
    assert (first.created_count, second.created_count, second.duplicate_count) == (1, 0, 1)
    assert (followup.channel, followup.occurred_at.date()) == ("phone", dt.date(2024, 4, 15))


def test_template_saves_mapping_for_the_next_file():
    admin = UserFactory(role_slug="admin")
    job = job_from(admin, xlsx_bytes([["公司X", "电话X"], ["甲", "13812345678"]]))
    job = services.import_job_configure(actor=admin, job=job, mapping={"0": "name", "1": "phone"})
    template = services.import_template_save(actor=admin, job=job, name="旧系统")
    again = services.import_job_create(
        actor=admin, upload=io.BytesIO(xlsx_bytes([["电话X", "公司X"], ["13812345678", "甲"]])),
        file_name="b.xlsx", template=template,
    )  # fmt: skip
    assert again.mapping == {"0": "phone", "1": "name"}


def test_rows_cleaned_ahead_in_the_second_thread_speak_the_importers_language():
    """Without the check's cache the import cleans rows itself, in the thread that works one
    batch ahead: its problems must still be in the active language, not the default one."""
    from django.utils import translation

    from guanxi.imports import cleancache
    from guanxi.imports.models import ImportProblem

    admin = UserFactory(role_slug="admin")
    job = job_from(admin, _file(ROW_A, ("坏行公司", "", "12345", "", "", "", "")))
    job = services.import_job_check(actor=admin, job=job, background=False)
    cleancache.clear(job)
    for language, word in (
        ("zh-hans", "不是有效的"),
        ("en", "is not a valid"),
        ("zh-hans", "不是有效的"),
    ):
        with translation.override(language):
            rows = [batch for batch, _ in running._ahead(job, running.RowContext.build(
                actor=admin, entity=job.entity, mapping=job.mapping))]  # fmt: skip
        bad = next(r for batch in rows for r in batch if r.reasons)
        assert word in bad.reasons[0], (language, bad.reasons)
    assert not ImportProblem.objects.filter(job=job, dry_run=False).exists()


def test_parts_computed_ahead_write_what_the_inline_path_writes():
    from django.db import transaction

    from guanxi.customers.bulk import NewCustomer, customers_create_many, customers_prepare

    admin = UserFactory(role_slug="admin")
    rows = [
        NewCustomer(
            name=f"上海甲{n}科技有限公司",
            values={
                "province": "上海市",
                "last_contact_at": dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
            },
            contact={"name": "王经理", "phone": f"+86138123456{n:02d}"},
            tags=["VIP"],
            owner_id=admin.pk,
        )
        for n in range(3)
    ]
    with transaction.atomic():
        inline = customers_create_many(
            actor=admin, rows=rows, source=Source.IMPORT, publish_events=False
        )
        ahead = customers_create_many(
            actor=admin, rows=rows, source=Source.IMPORT, publish_events=False,
            prepared=customers_prepare(rows),
        )  # fmt: skip

    def written(ids):
        out = []
        for pk in ids:
            c = Customer.objects.get(pk=pk)
            event = ActivityEvent.objects.get(customer_id=pk)
            changes = {k: v for k, v in event.changes.items() if k != "code"}
            out.append((c.name, c.name_pinyin, c.province, c.last_contact_at, c.owner_id,
                        list(c.contacts.values_list("name", "phone", "is_primary")),
                        list(c.tags.values_list("name", flat=True)), changes,
                        event.changes["code"] == [None, c.code]))  # fmt: skip
        return out

    assert written(inline) == written(ahead)

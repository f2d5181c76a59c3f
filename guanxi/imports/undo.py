"""Undo an import: delete what it created, restore what it updated — one audited action.

Customers the import created and nobody touched since are deleted with their contacts
and tags; customers changed after the import (version moved on) or with follow-ups added
later are kept and listed, because deleting them would destroy someone's work.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.activity.models import Source, Verb
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.core.events import Event, publish
from guanxi.customers.bulk import customer_restore
from guanxi.customers.models import Contact, Customer
from guanxi.followups.models import FollowUp
from guanxi.imports.models import Action, ImportJob, ImportRecord, Status

CHUNK = 2000


def job_undo(*, actor: User, job: ImportJob) -> dict[str, int]:
    """The caller checked the permission and that the job is done. Returns the counts."""
    counts = {"deleted": 0, "restored": 0, "kept": 0}
    records = ImportRecord.objects.filter(job=job)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != Status.DONE:
            return counts
        created = records.filter(action=Action.CREATED)
        for model, column in ((Contact, "contact_id"), (FollowUp, "followup_id")):
            ids = list(
                created.exclude(**{f"{column}__isnull": True}).values_list(column, flat=True)
            )
            for start in range(0, len(ids), CHUNK):
                counts["deleted"] += (
                    model.objects.filter(pk__in=ids[start : start + CHUNK])
                    .delete()[1]
                    .get(model._meta.label, 0)
                )
        customer_ids = list(
            created.filter(contact_id__isnull=True, followup_id__isnull=True).values_list(
                "customer_id", flat=True
            )
        )
        for start in range(0, len(customer_ids), CHUNK):
            chunk = customer_ids[start : start + CHUNK]
            # Untouched since the import: still at version 1 and no follow-ups of its own.
            qs = Customer.objects.filter(pk__in=chunk).annotate(n=Count("followups"))
            removable = list(qs.filter(version=1, n=0).values_list("pk", flat=True))
            counts["kept"] += len(chunk) - len(removable)
            Customer.objects.filter(pk__in=removable).delete()
            counts["deleted"] += len(removable)
            if job.automation:
                for pk in removable:
                    publish(
                        Event(
                            name="customer.deleted",
                            customer_id=pk,
                            actor_id=actor.pk,
                            source=Source.IMPORT,
                        )
                    )
        for record in records.filter(action=Action.UPDATED).order_by("-row"):
            customer = Customer.objects.select_for_update().filter(pk=record.customer_id).first()
            if customer is None or not record.before:
                counts["kept"] += 1
                continue
            customer_restore(
                actor=actor, customer=customer, before=record.before, source=Source.IMPORT
            )
            counts["restored"] += 1
        locked.status = Status.UNDONE
        locked.undone_at = clock.now()
        locked.message = (
            _("Undone: %(deleted)d deleted, %(restored)d restored, %(kept)d kept.") % counts
        )
        locked.save(update_fields=["status", "undone_at", "message"])
        activity_record(
            actor=actor,
            verb=Verb.DELETED,
            target=locked,
            source=Source.IMPORT,
            changes={
                "status": [Status.DONE, Status.UNDONE],
                **{k: [None, v] for k, v in counts.items()},
            },
            summary=f"undo import #{job.pk} {job.file_name}",
        )
    return counts

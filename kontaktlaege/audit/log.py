"""Writing and verifying the audit chain. No clear-text CPR, names or reason text go in:
the citizen is identified by the keyed CPR hash."""

import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontaktlaege.directory import cpr as cprlib

from .models import AuditEntry, AuditHead


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    payload = json.dumps(
        [
            prev_hash,
            entry.at.isoformat(),
            entry.actor_id,
            entry.actor_label,
            entry.action,
            entry.citizen_cpr_hash,
            entry.clinic_id,
            entry.municipality_id,
            entry.consultation_id,
            entry.detail,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    action: str,
    *,
    actor: Any = None,
    clinic: Any = None,
    municipality: Any = None,
    consultation: Any = None,
    citizen_cpr: str = "",
    citizen_cpr_hash: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    # Inside an action's transaction no savepoint: an entry that cannot be written must undo
    # the action with it.
    with transaction.atomic(savepoint=False):
        prev_hash = _lock_head()
        entry = AuditEntry(
            at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=(
                actor.display_name if actor is not None and actor.is_authenticated else ""
            ),
            action=action,
            citizen_cpr_hash=citizen_cpr_hash or cprlib.lookup_hash(citizen_cpr),
            # Rows or ids: by id, the hot path needs no query to load a related row.
            clinic_id=getattr(clinic, "pk", clinic),
            municipality_id=getattr(municipality, "pk", municipality)
            if municipality is not None
            else getattr(actor, "municipality_id", None),
            consultation_id=getattr(consultation, "pk", None),
            detail=detail or {},
            prev_hash=prev_hash,
        )
        entry.entry_hash = _digest(prev_hash, entry)
        entry.save()
        AuditHead.objects.filter(pk=1).update(last_hash=entry.entry_hash)
    return entry


def _lock_head() -> str:
    """The chain's last hash, its row locked until the transaction ends (every entry of every
    clinic goes through it)."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # the very first entry
        AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head.last_hash


def verify_chain() -> list[str]:
    """Return the problems found; an empty list means the chain is intact."""
    problems = []
    prev = "0" * 64
    for entry in AuditEntry.objects.order_by("id").iterator():
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.pk}: previous entry missing or changed")
        if _digest(entry.prev_hash, entry) != entry.entry_hash:
            problems.append(f"entry {entry.pk}: content changed")
        prev = entry.entry_hash
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != prev:
        problems.append("the newest entries were removed")
    return problems

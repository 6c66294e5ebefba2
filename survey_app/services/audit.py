"""The audit log: every change is appended with who, when, what, old and new value."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditEntry

FILTERS = {"entity": AuditEntry.entity, "actor": AuditEntry.actor, "action": AuditEntry.action,
           "entity_id": AuditEntry.entity_id}


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id=None,
    *,
    attribute: str | None = None,
    old_value=None,
    new_value=None,
    user_id: int | None = None,
) -> AuditEntry:
    """Append one audit entry (flushed with the caller's transaction, never alone).

    Parameters
    ----------
    actor : str
        The username, or ``cli`` / ``system`` for changes made outside a sign-in.
    action : str
        ``create``, ``update``, ``state`` ...
    entity, entity_id : str
        What was changed: ``ballot`` 42, ``campaign`` 1 ...
    """
    entry = AuditEntry(
        actor=actor,
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        attribute=attribute,
        old_value=None if old_value is None else str(old_value),
        new_value=None if new_value is None else str(new_value),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, newest first, and what the filters can choose from."""

    entries: list[AuditEntry]
    total: int
    page: int
    pages: int
    choices: dict[str, list[str]]  # entity, actor, action -> the values present


def audit_page(s: Session, filters: dict[str, str | None], page: int = 1, per_page: int = 100) -> AuditPage:
    """The entries matching ``filters`` (keys of :data:`FILTERS`; empty values ignored) on page ``page``.

    A page past the last gives the last page.
    """
    query = select(AuditEntry)
    for key, value in filters.items():
        if value:
            query = query.where(FILTERS[key] == value)
    total = s.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    entries = list(s.scalars(query.order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    choices = {key: list(s.scalars(select(FILTERS[key]).distinct().order_by(FILTERS[key])))
               for key in ("entity", "actor", "action")}
    return AuditPage(entries, total, page, pages, choices)

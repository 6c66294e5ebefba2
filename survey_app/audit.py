"""The audit log: every change is appended with who, when, what, old and new value."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .models import AuditEntry


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

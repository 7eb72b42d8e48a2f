"""Services: one function per library operation, each one transaction.

Screens, web views and the command line call these; these call ``policies`` for decisions and
``models`` for storage. A refusal by the library's rules is a :class:`Refused` (the command
line exits 3); input that cannot be understood is an :class:`InvalidInput`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import models
from counter_app import clock


class ServiceError(Exception):
    """Base: carries stable reason codes and a Japanese message for people."""

    exit_status = 1

    def __init__(self, reasons: str | list[str], message: str, **extra):
        self.reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        self.message = message
        self.extra = extra
        super().__init__(message)

    @property
    def reason(self) -> str:
        return self.reasons[0]

    def as_json(self) -> dict:
        return {"ok": False, "reasons": self.reasons, "message": self.message, **self.extra}


class Refused(ServiceError):
    """The library's rules say no (exit status 3)."""

    exit_status = 3


class InvalidInput(ServiceError):
    """The input is malformed (exit status 3 too: it is a refusal with a reason code)."""

    exit_status = 3


@dataclass(frozen=True)
class Actor:
    """Who is acting and through which channel; written to every audit event."""

    staff_id: int | None = None
    channel: str = "cli"  # counter | phone | web | kiosk | cli | system
    staff_name: str = field(default="", compare=False)


SYSTEM = Actor(None, "system")
CLI = Actor(None, "cli")


def audit(actor: Actor, action: str, card: str = "", **detail) -> None:
    """Record an audit event inside the caller's transaction. Never pass secrets here."""
    forbidden = {"password", "temporary_password", "token", "id_number", "mynumber"}
    bad = forbidden & set(detail)
    if bad:
        raise ValueError(f"audit detail must not carry secrets: {sorted(bad)}")
    models.AuditEvent.create(
        at=clock.now(),
        staff=actor.staff_id,
        action=action,
        card=card,
        channel=actor.channel,
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else "",
    )


def run(fn, *args, **kwargs):
    """Call a service from a worker thread with a connection of its own, closed afterwards."""
    if models.db.is_closed():
        with models.db.connection_context():
            return fn(*args, **kwargs)
    return fn(*args, **kwargs)

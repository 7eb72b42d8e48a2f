"""Outbox of e-mail notices. :func:`queue_notice` writes a notice in the caller's transaction;
a separate sender delivers it (the notices issue builds delivery, retries and F10)."""

from __future__ import annotations

import string
import uuid

import models
from counter_app import clock
from counter_app.config import data_dir, settings

KINDS = ("email-changed", "hold-received", "hold-ready", "hold-expired", "password-reset")


def render(kind: str, context: dict) -> tuple[str, str]:
    """(subject, body) from data/templates/<kind>.txt: first line ``Subject: …``, then a blank
    line, then the body; ``$name`` placeholders are filled from ``context`` and the settings."""
    cfg = settings()
    values = {"library": cfg.library_name, "mail_from": cfg.mail_from, "web_url": cfg.web_url, **context}
    text = (data_dir() / "templates" / f"{kind}.txt").read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    subject = head.removeprefix("Subject:").strip()
    return string.Template(subject).safe_substitute(values), string.Template(body).safe_substitute(values)


def queue_notice(kind: str, patron: models.Patron, to_addr: str, context: dict, hold: models.Hold | None = None) -> models.Notice:
    """Queue one notice (inside the caller's write transaction)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind}")
    subject, body = render(kind, {"name": patron.name, **context})
    domain = settings().mail_from.rsplit("@", 1)[-1]
    return models.Notice.create(
        kind=kind,
        patron=patron.id,
        hold=hold.id if hold is not None else None,
        to_addr=to_addr,
        subject=subject,
        body=body,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        next_attempt_at=clock.now(),
    )

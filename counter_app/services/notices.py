"""Outbox of e-mail notices. :func:`queue_notice` writes a notice in the caller's transaction;
a separate sender (:mod:`counter_app.services.mailer`) delivers it over SMTP and marks it sent.

Also here: the contact address itself (:func:`set_email`, same rules for the counter, the
command line and the web), what F10 shows (pending, failed, recently sent, the call list of
patrons whose address bounced) and the staff's "edit the address and resend".
"""

from __future__ import annotations

import re
import string
import uuid
from datetime import timedelta

from peewee import JOIN

import models
from counter_app import clock
from counter_app.config import data_dir, settings
from counter_app.services import CLI, Actor, InvalidInput, Refused, audit
from policies.email import EmailCheck, check_email, parse_domains, same_address

KINDS = ("email-changed", "hold-received", "hold-ready", "hold-expired", "password-reset")
KIND_JA = {
    "email-changed": "アドレス変更",
    "hold-received": "予約受付",
    "hold-ready": "用意できました",
    "hold-expired": "取置期限切れ",
    "password-reset": "パスワード再設定",
}
STATUS_JA = {"pending": "送信待ち", "sending": "送信中", "sent": "送信済", "failed": "送信失敗"}
STOPPED = "宛先不通のため送信を止めました"


# --- templates --------------------------------------------------------------------------------


def render(kind: str, context: dict, template: str | None = None) -> tuple[str, str]:
    """(subject, body) from data/templates/<template or kind>.txt: first line ``Subject: …``,
    then a blank line, then the body; ``$name`` placeholders are filled from ``context`` and
    the settings."""
    cfg = settings()
    values = {"library": cfg.library_name, "mail_from": cfg.mail_from, "web_url": cfg.web_url, **context}
    text = (data_dir() / "templates" / f"{template or kind}.txt").read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    subject = head.removeprefix("Subject:").strip()
    return string.Template(subject).safe_substitute(values), string.Template(body).safe_substitute(values)


# A placeholder filled only when the notice is sent (the hold-ready mail's pickup deadline is
# counted from the day it is sent). render() leaves it in the stored body.
_DEADLINE = re.compile(r"\$(?:deadline\b|\{deadline\})")


def has_deadline_placeholder(text: str) -> bool:
    return bool(_DEADLINE.search(text or ""))


def fill_deadline(text: str, deadline: str) -> str:
    """``text`` with the ``$deadline`` placeholder replaced (nothing else is touched, so a
    ``$`` in a title stays as it is)."""
    return _DEADLINE.sub(lambda _m: deadline, text or "")


def new_message_id() -> str:
    domain = settings().mail_from.rsplit("@", 1)[-1] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def address_stopped(patron: models.Patron | None, to_addr: str) -> bool:
    """True when ``to_addr`` is the patron's address and it was permanently rejected."""
    return patron is not None and not patron.email_ok and same_address(patron.email, to_addr)


def queue_notice(
    kind: str,
    patron: models.Patron,
    to_addr: str,
    context: dict,
    hold: models.Hold | None = None,
    *,
    template: str | None = None,
) -> models.Notice:
    """Queue one notice (inside the caller's write transaction).

    A notice to an address that bounced permanently is kept (staff see it on F10 and the
    patron is on the call list) but is not sent: it is written as ``failed`` at once."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind}")
    to_addr = (to_addr or "").strip()
    if not to_addr:
        raise ValueError("a notice needs an address")
    subject, body = render(kind, {"name": patron.name, **context}, template)
    now = clock.now()
    stopped = address_stopped(patron, to_addr)
    return models.Notice.create(
        kind=kind,
        patron=patron.id,
        hold=hold.id if hold is not None else None,
        to_addr=to_addr,
        subject=subject,
        body=body,
        message_id=new_message_id(),
        next_attempt_at=now,
        created_at=now,
        status="failed" if stopped else "pending",
        last_error=STOPPED if stopped else "",
    )


# --- the contact address ----------------------------------------------------------------------


def _domains(name: str) -> frozenset[str]:
    path = data_dir() / name
    if not path.is_file():
        return frozenset()
    return parse_domains(path.read_text(encoding="utf-8").splitlines())


def freemail_domains() -> frozenset[str]:
    return _domains("freemail-domains.txt")


def mobile_domains() -> frozenset[str]:
    return _domains("mobile-domains.txt")


def check_address(raw: str) -> EmailCheck:
    """The e-mail rules with the library's domain lists and sending address."""
    return check_email(raw, freemail_domains(), mobile_domains(), settings().mail_from)


def mask(address: str) -> str:
    local, _, domain = (address or "").rpartition("@")
    if not local:
        return address
    return (local[:2] if len(local) > 2 else local[:1]) + "***@" + domain


def set_email(card: str, address: str, actor: Actor = CLI, confirm_freemail: bool = False) -> dict:
    """Register or change a patron's contact address (counter, command line, web).

    Free-mail needs ``confirm_freemail`` (a warning, not a block); a mobile carrier's address
    succeeds with a note about allowing the sending address. The completion notice
    メールアドレス変更完了のお知らせ goes to the new address and, on a change, to the old one,
    all in one transaction with the change."""
    from counter_app.services.patrons import get_patron

    check = _checked(address)
    with models.write_tx():
        patron = get_patron(card)
        patron, sent, text = _register_address(patron, check, actor, confirm_freemail)
    return {
        "ok": True,
        "card": patron.card,
        "email": check.address,
        "warnings": list(check.warnings),
        "notes": list(check.notes),
        "notices": [n.id for n in sent],
        "message": text,
    }


def _checked(address: str) -> EmailCheck:
    """The address through the e-mail rule, or InvalidInput (the message never repeats it)."""
    check = check_address(address)
    if check.address is None:
        raise InvalidInput(check.reason, check.message)
    return check


def _register_address(
    patron: models.Patron, check: EmailCheck, actor: Actor, confirm_freemail: bool, notify_old: bool = True
) -> tuple[models.Patron, list[models.Notice], str]:
    """The address change itself, inside the caller's write transaction: the rules for a
    withdrawn card and free-mail, the new address, the completion notice to it and (when
    ``notify_old`` and the old address worked) to the old one, and the audit event."""
    if patron.withdrawn:
        raise Refused("patron-withdrawn", f"利用者カード {patron.card} は退会済みです。")
    if check.freemail and not confirm_freemail:
        raise Refused(
            "freemail-needs-confirmation",
            check.notes[0],
            address=check.address,
            warnings=list(check.warnings),
        )
    old, old_ok = patron.email, patron.email_ok
    now = clock.now()
    models.Patron.update(email=check.address, email_ok=True, email_registered_at=now).where(
        models.Patron.id == patron.id
    ).execute()
    patron = models.Patron.get_by_id(patron.id)
    context = {"address": mask(check.address), "registered": f"{now:%Y年%m月%d日 %H:%M}"}
    sent = [queue_notice("email-changed", patron, check.address, context)]
    if notify_old and old and old_ok and not same_address(old, check.address):
        sent.append(queue_notice("email-changed", patron, old, context, template="email-changed-old"))
    audit(actor, "email-set", patron.card, changed=bool(old), warnings=list(check.warnings))
    if len(sent) > 1:
        text = f"{patron.name} 様のメールアドレスを変更しました。新旧両方のアドレスに変更完了のお知らせを送ります。"
    elif old and not same_address(old, check.address):
        text = f"{patron.name} 様のメールアドレスを変更しました。新しいアドレスに変更完了のお知らせを送ります。"
    else:
        text = f"{patron.name} 様のメールアドレスを登録しました。変更完了のお知らせを送ります。"
    return patron, sent, text


# --- what staff see ---------------------------------------------------------------------------


def _row(n: models.Notice) -> dict:
    return {"id": n.id, "kind": n.kind, "to": n.to_addr, "subject": n.subject, "status": n.status, "attempts": n.attempts}


def list_notices(status: str | None = None, limit: int = 200) -> list[dict]:
    """Notices, newest first: the command line's ``notices list``."""
    q = models.Notice.select().order_by(models.Notice.id.desc()).limit(limit)
    if status:
        q = q.where(models.Notice.status == status)
    return [_row(n) for n in q]


def _detail(n: models.Notice) -> dict:
    patron = n.patron
    return {
        **_row(n),
        "kind_ja": KIND_JA.get(n.kind, n.kind),
        "status_ja": STATUS_JA.get(n.status, n.status),
        "card": patron.card if patron else "",
        "name": patron.name if patron else "",
        "created_at": n.created_at,
        "next_attempt_at": n.next_attempt_at,
        "sent_at": n.sent_at,
        "last_error": n.last_error,
        "to_registered": corrects_registered(patron, n.to_addr),
    }


def overview(recent_days: int = 2, limit: int = 200) -> dict:
    """F10: notices waiting (incl. being sent), failed, sent recently, and the call list."""
    N = models.Notice
    base = N.select(N, models.Patron).join(models.Patron, join_type=JOIN.LEFT_OUTER, on=(N.patron == models.Patron.id))
    since = clock.now() - timedelta(days=recent_days)
    return {
        "pending": [_detail(n) for n in base.where(N.status.in_(("pending", "sending"))).order_by(N.next_attempt_at, N.id).limit(limit)],
        "failed": [_detail(n) for n in base.where(N.status == "failed").order_by(N.id.desc()).limit(limit)],
        "sent": [_detail(n) for n in base.where((N.status == "sent") & (N.sent_at >= since)).order_by(N.sent_at.desc(), N.id.desc()).limit(limit)],
        "call_list": call_list(),
    }


def call_list() -> list[dict]:
    """Patrons whose registered address was permanently rejected: staff must telephone them
    (and ask for a working address). F9 and F10 show this."""
    P = models.Patron
    rows = P.select().where((P.email_ok == False) & (P.email != "") & (P.withdrawn == False)).order_by(P.card)  # noqa: E712
    out = []
    for p in rows:
        last = (
            models.Notice.select()
            .where((models.Notice.patron == p.id) & (models.Notice.status == "failed") & (models.Notice.last_error != STOPPED))
            .order_by(models.Notice.id.desc())
            .first()
        )
        waiting = models.Notice.select().where((models.Notice.patron == p.id) & (models.Notice.status == "failed")).count()
        out.append(
            {
                "card": p.card,
                "name": p.name,
                "phone": p.phone,
                "email": p.email,
                "error": last.last_error if last else "",
                "failed_notices": waiting,
            }
        )
    return out


def retry_notice(notice_id: int, address: str | None = None, actor: Actor = CLI, confirm_freemail: bool = False) -> dict:
    """Staff: put a failed notice back in the queue, optionally to a corrected address.

    When the corrected notice went to the patron's registered address, that address is wrong
    too: it is changed in the same transaction by the rules of :func:`set_email` (free-mail
    needs ``confirm_freemail``; the completion notice goes to the new address only, since the
    old one does not work), and the patron's other waiting or failed notices to the wrong
    address are re-addressed. A notice to some other address changes alone."""
    check = _checked(address) if address is not None and address.strip() else None
    with models.write_tx():
        n = models.Notice.get_or_none(models.Notice.id == notice_id)
        if n is None:
            raise Refused("unknown-notice", f"通知 {notice_id} はありません。")
        if n.status == "sent":
            raise Refused("already-sent", f"通知 {notice_id} は送信済みです。")
        if n.status == "sending":
            raise Refused("being-sent", f"通知 {notice_id} はいま送信中です。しばらくしてから確認してください。")
        to = check.address if check is not None else n.to_addr
        changed = not same_address(to, n.to_addr)
        patron = n.patron
        registered = changed and corrects_registered(patron, n.to_addr)
        sent: list[models.Notice] = []
        moved, changed_text = 0, ""
        if registered:
            patron, sent, changed_text = _register_address(patron, check, actor, confirm_freemail, notify_old=False)
            N = models.Notice
            moved = (
                N.update(to_addr=to)
                .where(
                    (N.patron == patron.id) & (N.id != n.id) & (N.kind != "email-changed")
                    & (N.status.in_(("pending", "failed"))) & (N.to_addr == n.to_addr)
                )
                .execute()
            )
        if address_stopped(patron, to):
            raise Refused(
                "address-bounced",
                "この宛先は受け取りを拒否されました（不通）。宛先を修正するか、利用者のメールアドレスを変更してください。",
            )
        replaced = registered and n.kind == "email-changed"
        if replaced:
            # Its text names the wrong address; the completion notice just queued replaces it.
            n.delete_instance()
        else:
            models.Notice.update(
                to_addr=to, status="pending", attempts=0, next_attempt_at=clock.now(), last_error="", claimed_by="", claimed_at=None
            ).where(models.Notice.id == n.id).execute()
        audit(
            actor, "notice-retry", patron.card if patron else "", notice=n.id, kind=n.kind,
            address_changed=changed, registered_changed=registered,
        )
    text = f"通知 {notice_id} を送信待ちに戻しました（宛先 {to}）。"
    if replaced:
        text = f"通知 {notice_id}（誤ったアドレス宛ての変更完了のお知らせ）は、新しいアドレス宛ての通知 {sent[0].id} に置き換えました。"
    if registered:
        text += f"\n{changed_text}"
        if moved:
            text += f"\n同じ宛先だった通知 {moved} 件の宛先も新しいアドレスに直しました。"
    return {
        "ok": True,
        "id": notice_id,
        "to": to,
        "status": "pending",
        "replaced_by": sent[0].id if replaced else None,
        "patron_email_changed": registered,
        "notices": [x.id for x in sent],
        "readdressed": moved,
        "warnings": list(check.warnings) if check else [],
        "notes": list(check.notes) if check else [],
        "message": text,
    }


def corrects_registered(patron: models.Patron | None, to_addr: str) -> bool:
    """Correcting a notice to ``to_addr`` corrects the patron's registered address too."""
    return patron is not None and not patron.withdrawn and same_address(patron.email, to_addr)

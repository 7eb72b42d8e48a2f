"""The sender: delivers queued notices over SMTP, each exactly once as far as SMTP allows.

One pass (:func:`send_pass`):

1. Each due notice is *claimed* in its own short write transaction: an ``UPDATE … WHERE
   id = ? AND status = 'pending'`` whose row count says whether this sender won it. Two
   senders running at once therefore never deliver the same notice twice. A claim older than
   the claim timeout (a sender that crashed mid-delivery) may be taken over.
2. The mail is delivered (no database transaction is held while talking to the server).
3. The result is written: ``sent``; or a temporary failure → back to ``pending`` with a capped
   exponential backoff with jitter, ``failed`` after the set number of attempts; or a
   permanent rejection (5xx) → ``failed``, the patron's address is marked not working, the
   patron goes on the staff call list, and further notices to that address stop.

A crash between 2 and 3 leaves the notice claimed; it is delivered again after the claim
timeout with the same Message-ID, so a mail client shows one message.
"""

from __future__ import annotations

import os
import random
import smtplib
import socket
import ssl
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import models
from counter_app import clock
from counter_app.config import ConfigError, settings
from counter_app.services import SYSTEM, audit
from counter_app.services.notices import STOPPED, address_stopped, fill_deadline, has_deadline_placeholder
from policies.email import is_permanent, retry_delay, same_address


@dataclass
class PassReport:
    sent: int = 0  # delivered
    retrying: int = 0  # temporary failure, will be tried again
    failed: int = 0  # gave up after the set number of attempts
    rejected: int = 0  # permanently rejected (5xx): the address does not work
    stopped: int = 0  # not sent: the address is known not to work
    skipped: int = 0  # another sender took it first
    error: str = ""  # why the pass stopped early (server unreachable, login refused …)

    def as_json(self) -> dict:
        """``ok`` is true only when the pass ran to the end without a server problem, so it
        agrees with the command's exit status."""
        return {"ok": not self.error, **asdict(self)}

    def summary(self) -> str:
        text = (
            f"送信 {self.sent} 件 / 再試行待ち {self.retrying} 件 / 失敗 {self.failed} 件 / "
            f"宛先不通 {self.rejected + self.stopped} 件"
        )
        return text + (f"（{self.error}）" if self.error else "")


class _Outage(Exception):
    """The server cannot be used at all right now: stop this pass."""


def sender_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}:{uuid.uuid4().hex[:6]}"


# --- the message ------------------------------------------------------------------------------


def build_message(notice: models.Notice) -> EmailMessage:
    """Plain UTF-8 text; Subject and the sender's name RFC 2047-encoded by the SMTP policy;
    the notice's own Message-ID, so a repeated delivery is recognisably the same message."""
    cfg = settings()
    local, _, domain = cfg.mail_from.rpartition("@")
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=cfg.library_name, username=local, domain=domain)
    msg["To"] = notice.to_addr
    msg["Subject"] = notice.subject
    msg["Date"] = format_datetime(clock.now().astimezone())
    msg["Message-ID"] = notice.message_id
    msg.set_content(notice.body, charset="utf-8", cte="base64")
    return msg


def smtp_target() -> tuple[str, int, str]:
    """(host, port, tls) from the settings; ConfigError when they cannot be used."""
    smtp = settings().smtp
    tls = smtp["tls"].lower()
    if tls not in ("none", "starttls", "ssl"):
        raise ConfigError(f"LIBRARY_SMTP_TLS は none / starttls / ssl のどれかです（いま: {smtp['tls']!r}）")
    try:
        port = int(smtp["port"])
    except ValueError:
        raise ConfigError(f"LIBRARY_SMTP_PORT は整数で指定してください（いま: {smtp['port']!r}）") from None
    return smtp["host"], port, tls


def connect() -> smtplib.SMTP:
    """An SMTP connection per LIBRARY_SMTP_* (TLS none | starttls | ssl; login when a user is
    set). Raises :class:`_Outage` when the server cannot be reached or refuses us."""
    cfg = settings()
    smtp, timeout = cfg.smtp, cfg.mail["smtp_timeout_seconds"]
    _, port, tls = smtp_target()
    try:
        if tls == "ssl":
            conn = smtplib.SMTP_SSL(smtp["host"], port, timeout=timeout, context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(smtp["host"], port, timeout=timeout)
            if tls == "starttls":
                conn.starttls(context=ssl.create_default_context())
        if smtp["user"]:
            conn.login(smtp["user"], smtp["password"])
    except smtplib.SMTPAuthenticationError as exc:
        raise _Outage(f"SMTPサーバーにログインできません（{exc.smtp_code}）") from None
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise _Outage(f"SMTPサーバー {smtp['host']}:{port} に接続できません（{type(exc).__name__}: {exc}）") from None
    return conn


# --- one pass ---------------------------------------------------------------------------------


def _due(all_due: bool, now, stale):
    N = models.Notice
    pending = N.status == "pending"
    if not all_due:
        pending = pending & (N.next_attempt_at <= now)
    return pending | ((N.status == "sending") & (N.claimed_at <= stale))


def _claim(notice_id: int, me: str, all_due: bool, now, stale) -> models.Notice | str | None:
    """Take one notice for this sender. None: someone else has it. "stopped": its address is
    known not to work (marked failed without sending)."""
    N = models.Notice
    with models.write_tx():
        won = N.update(status="sending", claimed_by=me, claimed_at=now).where((N.id == notice_id) & _due(all_due, now, stale)).execute()
        if not won:
            return None
        notice = N.get_by_id(notice_id)
        if address_stopped(notice.patron, notice.to_addr):
            N.update(status="failed", last_error=STOPPED, claimed_by="", claimed_at=None).where(N.id == notice_id).execute()
            return "stopped"
        N.update(attempts=N.attempts + 1).where(N.id == notice_id).execute()
        notice.attempts += 1
    return notice


def _fill_deadline(notice: models.Notice) -> date | None:
    """Just before delivery: a ready notice's ``$deadline`` becomes the pickup deadline the
    hold gets if the mail goes out today (changes the in-memory notice only; :func:`_mark_sent`
    stores the text that was delivered). Returns that date, or None when there was nothing to
    fill with a date."""
    if notice.kind != "hold-ready" or not has_deadline_placeholder(notice.subject + "\n" + notice.body):
        return None
    from counter_app.services import holds

    day = holds.deadline_if_sent(notice.hold_id, clock.today()) if notice.hold_id is not None else None
    text = f"{day:%Y年%m月%d日}" if day else f"お知らせの送信日から{settings().pickup_days}日後"
    notice.subject, notice.body = fill_deadline(notice.subject, text), fill_deadline(notice.body, text)
    return day


def _mark_sent(notice: models.Notice, me: str, deadline: date | None = None) -> None:
    """Delivered: the notice is ``sent`` with the subject and body as delivered; a ready
    notice starts its hold's pickup deadline (``deadline``, the date the mail states)."""
    N = models.Notice
    now = clock.now()
    with models.write_tx():
        N.update(
            status="sent", sent_at=now, last_error="", claimed_by="", claimed_at=None,
            subject=notice.subject, body=notice.body,
        ).where((N.id == notice.id) & (N.status != "sent")).execute()
        if notice.kind == "hold-ready" and notice.hold_id is not None:
            models.Hold.update(notified_at=now).where(
                (models.Hold.id == notice.hold_id) & (models.Hold.notified_at.is_null())
            ).execute()
            from counter_app.services import holds

            holds.on_notice_sent(notice, now, deadline)  # the reservation's pickup deadline


def _defer(notice: models.Notice, me: str, error: str) -> bool:
    """A temporary failure. True when this was the last attempt (the notice is now failed)."""
    cfg = settings().mail
    N = models.Notice
    gave_up = notice.attempts >= cfg["max_attempts"]
    delay = retry_delay(notice.attempts, cfg["retry_base_seconds"], cfg["retry_cap_seconds"], random.random())
    with models.write_tx():
        N.update(
            status="failed" if gave_up else "pending",
            next_attempt_at=clock.now() + timedelta(seconds=int(delay)),
            last_error=error[:500],
            claimed_by="",
            claimed_at=None,
        ).where((N.id == notice.id) & (N.claimed_by == me) & (N.status == "sending")).execute()
    return gave_up


def _reject(notice: models.Notice, me: str, code: int, text: str) -> None:
    """A permanent rejection: the notice fails; if it went to the patron's registered address,
    that address is marked not working (→ call list) and other notices to it stop."""
    N = models.Notice
    with models.write_tx():
        N.update(status="failed", last_error=f"{code} {text}"[:500], claimed_by="", claimed_at=None).where(
            (N.id == notice.id) & (N.status == "sending")
        ).execute()
        patron = models.Patron.get_or_none(models.Patron.id == notice.patron_id) if notice.patron_id else None
        if patron is not None and same_address(patron.email, notice.to_addr):
            models.Patron.update(email_ok=False).where(models.Patron.id == patron.id).execute()
            N.update(status="failed", last_error=STOPPED).where(
                (N.patron == patron.id) & (N.status == "pending") & (N.id != notice.id) & (N.to_addr == notice.to_addr)
            ).execute()
            audit(SYSTEM, "email-bounced", patron.card, notice=notice.id, code=code)


def _reply(exc: Exception) -> tuple[int | None, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
    else:
        code, text = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return code, str(text)


def send_pass(all_due: bool = False, limit: int | None = None, sender: str | None = None) -> dict:
    """Deliver every due notice once. ``all_due`` ignores the backoff (staff "retry now")."""
    cfg = settings()
    smtp_target()  # a wrong setting stops here, before any notice is touched
    me = sender or sender_id()
    now = clock.now()
    stale = now - timedelta(seconds=cfg.mail["claim_timeout_seconds"])
    N = models.Notice
    query = N.select(N.id).where(_due(all_due, now, stale)).order_by(N.next_attempt_at, N.id)
    if limit:
        query = query.limit(limit)
    ids = [row.id for row in query]
    purge_sent(now)
    report = PassReport()
    conn: smtplib.SMTP | None = None
    try:
        for notice_id in ids:
            notice = _claim(notice_id, me, all_due, now, stale)
            if notice is None:
                report.skipped += 1
                continue
            if notice == "stopped":
                report.stopped += 1
                continue
            try:
                if conn is None:
                    conn = connect()
                deadline = _fill_deadline(notice)
                conn.send_message(build_message(notice), from_addr=cfg.mail_from, to_addrs=[notice.to_addr])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
                code, text = _reply(exc)
                if is_permanent(code):
                    _reject(notice, me, code, text)
                    report.rejected += 1
                elif _defer(notice, me, f"{code} {text}"):
                    report.failed += 1
                else:
                    report.retrying += 1
                continue
            except (_Outage, smtplib.SMTPException, OSError) as exc:
                # The server (or our sender address / login) is the problem, not this notice:
                # count the attempt and stop the pass; the others wait untouched.
                text = str(exc) if isinstance(exc, _Outage) else f"送信中に接続が切れました（{type(exc).__name__}: {exc}）"
                if isinstance(exc, smtplib.SMTPSenderRefused):
                    text = f"送信元アドレス {cfg.mail_from} が拒否されました（{exc.smtp_code}）"
                if _defer(notice, me, text):
                    report.failed += 1
                else:
                    report.retrying += 1
                report.error = text
                if conn is not None:
                    _close(conn)
                    conn = None
                break
            except Exception as exc:  # this notice cannot be built or sent; the others may
                if _defer(notice, me, f"{type(exc).__name__}: {exc}"):
                    report.failed += 1
                else:
                    report.retrying += 1
                continue
            _mark_sent(notice, me, deadline)
            report.sent += 1
    finally:
        if conn is not None:
            _close(conn)
    return report.as_json()


def purge_sent(now=None) -> int:
    """Forget delivered notices after LIBRARY_MAIL_KEEP_SENT_DAYS: a ready notice names a
    title and a patron, and the library keeps who reads what no longer than it needs to."""
    days = settings().mail["keep_sent_days"]
    cutoff = (now or clock.now()) - timedelta(days=days)
    N = models.Notice
    with models.write_tx():
        return N.delete().where((N.status == "sent") & (N.sent_at < cutoff)).execute()


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()


def counts() -> dict:
    """How many notices are in each state."""
    N = models.Notice
    out = {"pending": 0, "sending": 0, "sent": 0, "failed": 0}
    from peewee import fn

    for row in N.select(N.status, fn.COUNT(N.id).alias("n")).group_by(N.status).dicts():
        out[row["status"]] = row["n"]
    return out

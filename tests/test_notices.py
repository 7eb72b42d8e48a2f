"""E-mail notices: rules, templates, the outbox and delivery to a real SMTP server on loopback."""

from __future__ import annotations

import json
import re
import threading
from datetime import date
from email.utils import parsedate_to_datetime

import pytest

import models
from counter_app import cli
from counter_app.services import InvalidInput, Refused, mailer, notices, patrons, run
from policies.email import check_email, parse_domains, retry_delay
from tests.helpers_notices import SmtpServer, free_port, use_server

PASSWORD_LINE = "図書館がパスワードをおたずねすることはありません。"


@pytest.fixture
def smtp(monkeypatch):
    server = SmtpServer().start()
    use_server(monkeypatch, server.port)
    yield server
    server.stop()


@pytest.fixture
def hanako(db):
    return patrons.add_patron("杵築 花子", "キツキ ハナコ", date(1985, 6, 12), "0978-62-0001", "hanako@example.jp")


def queue(patron, n=1, kind="hold-received", to=None):
    out = []
    with models.write_tx():
        for i in range(n):
            out.append(notices.queue_notice(kind, patron, to or patron.email, {"title": f"吾輩は猫である {i}", "pickup": "山香図書室"}))
    return out


def fresh(notice) -> models.Notice:
    return models.Notice.get_by_id(notice.id)


# --- rules ------------------------------------------------------------------------------------

FREE = parse_domains(["# comment", "hotmail.com", "yahoo.co.jp  # Yahoo!"])
MOBILE = parse_domains(["docomo.ne.jp", "i.softbank.jp"])


@pytest.mark.parametrize(
    "raw, address, reason, warnings",
    [
        ("hanako@example.jp", "hanako@example.jp", None, ()),
        ("  Hanako@Example.JP ", "Hanako@example.jp", None, ()),
        ("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "hanako@example.jp", None, ()),
        ("", None, "empty-email", ()),
        ("hanako", None, "invalid-email", ()),
        ("hanako@@example.jp", None, "invalid-email", ()),
        ("hana ko@example.jp", None, "invalid-email", ()),
        ("hanako@example", None, "invalid-email", ()),
        ("taro@hotmail.com", "taro@hotmail.com", None, ("freemail",)),
        ("taro@YAHOO.co.jp", "taro@yahoo.co.jp", None, ("freemail",)),
        ("taro@docomo.ne.jp", "taro@docomo.ne.jp", None, ("mobile-carrier",)),
        ("taro@i.softbank.jp", "taro@i.softbank.jp", None, ("mobile-carrier",)),
        ("taro@mail.docomo.ne.jp", "taro@mail.docomo.ne.jp", None, ("mobile-carrier",)),
        ("taro@notdocomo.ne.jp", "taro@notdocomo.ne.jp", None, ()),
    ],
)
def test_email_rules(raw, address, reason, warnings):
    check = check_email(raw, FREE, MOBILE, "library@city.kitsuki.lg.jp")
    assert (check.address, check.reason, check.warnings) == (address, reason, warnings)
    if reason:
        assert check.message  # Japanese text for the screen
    if "mobile-carrier" in warnings:
        assert "library@city.kitsuki.lg.jp" in check.notes[0]


def test_domain_lists_in_data_name_the_library_examples(db):
    free, mobile = notices.freemail_domains(), notices.mobile_domains()
    assert {"hotmail.com", "yahoo.co.jp"} <= free
    assert {"docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp"} <= mobile


def test_retry_delay_grows_is_capped_and_jittered():
    lows = [retry_delay(n, 60, 3600, 0.0) for n in range(1, 12)]
    highs = [retry_delay(n, 60, 3600, 0.999) for n in range(1, 12)]
    assert lows == sorted(lows) and lows[0] < lows[3]
    assert max(highs) <= 3600 and lows[-1] >= 1800
    assert all(lo < hi for lo, hi in zip(lows, highs))


# --- templates and the outbox ---------------------------------------------------------------

CONTEXTS = {
    "email-changed": {"address": "ha***@example.jp", "registered": "2026年12月03日 10:00"},
    "hold-received": {"title": "坊っちゃん", "pickup": "山香図書室", "position": "2"},
    "hold-ready": {"title": "坊っちゃん", "pickup": "山香図書室", "deadline": "2026年12月10日"},
    "hold-expired": {"title": "坊っちゃん", "pickup": "山香図書室", "deadline": "2026年12月10日"},
    "password-reset": {"reset_url": "https://example.jp/reset/abc", "expires": "2026年12月04日 10:00"},
}


@pytest.mark.parametrize("kind", notices.KINDS)
def test_every_template_is_complete_japanese_and_says_no_password_is_asked(db, kind):
    subject, body = notices.render(kind, {"name": "杵築 花子", **CONTEXTS[kind]})
    assert subject.startswith("【杵築市立図書館】")
    assert "杵築 花子 様" in body and PASSWORD_LINE in body
    assert "$" not in subject + body  # every placeholder filled
    for value in CONTEXTS[kind].values():
        assert value in body


def test_ready_template_keeps_its_title_and_placeholders(db):
    subject, body = notices.render("hold-ready", {"name": "X", **CONTEXTS["hold-ready"]})
    assert "資料について用意ができました" in subject
    assert "坊っちゃん" in body and "山香図書室" in body and "2026年12月10日" in body


def test_set_email_changes_address_and_notifies_new_and_old(hanako):
    result = notices.set_email(hanako.card, "ｈａｎａ@example.ne.jp")
    patron = models.Patron.get_by_id(hanako.id)
    assert patron.email == "hana@example.ne.jp" and patron.email_ok and patron.email_registered_at
    sent = {n.to_addr: n for n in models.Notice.select()}
    assert set(sent) == {"hana@example.ne.jp", "hanako@example.jp"}
    assert result["notices"] and len(result["notices"]) == 2
    for n in sent.values():
        assert n.kind == "email-changed" and n.subject == "【杵築市立図書館】メールアドレス変更完了のお知らせ"
        assert "ha***@example.ne.jp" in n.body and "hana@example.ne.jp" not in n.body
    assert "変更されました" in sent["hanako@example.jp"].body
    assert models.AuditEvent.select().where(models.AuditEvent.action == "email-set").count() == 1


def test_freemail_needs_confirmation_and_nothing_is_written_before(hanako):
    with pytest.raises(Refused) as exc:
        notices.set_email(hanako.card, "hanako@hotmail.com")
    assert exc.value.reasons == ["freemail-needs-confirmation"]
    assert models.Patron.get_by_id(hanako.id).email == "hanako@example.jp"
    assert models.Notice.select().count() == 0
    result = notices.set_email(hanako.card, "hanako@hotmail.com", confirm_freemail=True)
    assert result["warnings"] == ["freemail"]
    assert models.Patron.get_by_id(hanako.id).email == "hanako@hotmail.com"


def test_mobile_address_gets_the_allow_sender_note(hanako):
    result = notices.set_email(hanako.card, "hanako@ezweb.ne.jp")
    assert result["warnings"] == ["mobile-carrier"]
    assert "library@city.kitsuki.lg.jp" in result["notes"][0]


@pytest.mark.parametrize("card, address, reason", [
    ("1000001", "not-an-address", "invalid-email"),
    ("1000001", "", "empty-email"),
    ("9999999", "a@example.jp", "unknown-card"),
    ("12", "a@example.jp", "invalid-card"),
])
def test_set_email_refusals(hanako, card, address, reason):
    with pytest.raises((Refused, InvalidInput)) as exc:
        notices.set_email(card, address)
    assert exc.value.reasons == [reason]
    assert models.Notice.select().count() == 0


# --- delivery over real SMTP ------------------------------------------------------------------


def test_delivered_mail_has_japanese_subject_sender_message_id_and_body(hanako, smtp):
    notices.set_email(hanako.card, "hana@example.ne.jp")
    report = mailer.send_pass()
    assert report["sent"] == 2 and not report["error"]
    by_to = {str(m["To"]): m for m in smtp.inbox.messages}
    assert set(by_to) == {"hana@example.ne.jp", "hanako@example.jp"}
    msg = by_to["hana@example.ne.jp"]
    notice = models.Notice.get(models.Notice.to_addr == "hana@example.ne.jp")
    raw = msg.as_bytes()
    assert re.search(rb"^Subject: =\?utf-8\?[bq]\?", raw, re.M | re.I)  # RFC 2047 on the wire
    assert str(msg["Subject"]) == "【杵築市立図書館】メールアドレス変更完了のお知らせ"
    assert msg["From"].addresses[0].addr_spec == "library@city.kitsuki.lg.jp"
    assert msg["From"].addresses[0].display_name == "杵築市立図書館"
    assert str(msg["Message-ID"]) == notice.message_id
    assert parsedate_to_datetime(str(msg["Date"])).date() == date(2026, 12, 3)
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    body = msg.get_content()
    assert "杵築 花子 様" in body and "連絡先として登録しました" in body and PASSWORD_LINE in body
    assert smtp.inbox.envelopes[0][0] == "library@city.kitsuki.lg.jp"
    assert notice.status == "sent" and notice.sent_at is not None and notice.attempts == 1
    assert mailer.send_pass()["sent"] == 0  # nothing is sent twice
    assert len(smtp.inbox.messages) == 2


def test_server_down_loses_nothing_counts_attempts_and_delivers_once_when_back(hanako, monkeypatch):
    port = free_port()
    use_server(monkeypatch, port)
    queued = queue(hanako, 3)
    report = mailer.send_pass()
    assert report["sent"] == 0 and report["retrying"] == 1 and "接続できません" in report["error"]
    first = fresh(queued[0])
    assert first.status == "pending" and first.attempts == 1 and first.last_error
    assert first.next_attempt_at > models.Notice.get_by_id(queued[1].id).next_attempt_at  # backoff
    report = mailer.send_pass()  # the next due one gets its turn; the first waits its backoff
    assert [fresh(n).attempts for n in queued] == [1, 1, 0]
    server = SmtpServer(port).start()
    try:
        assert mailer.send_pass()["sent"] == 1  # only the one not in backoff is due
        report = mailer.send_pass(all_due=True)  # "retry now" ignores the backoff
        assert report["sent"] == 2
        assert mailer.send_pass(all_due=True)["sent"] == 0
        ids = server.inbox.message_ids()
        assert sorted(ids) == sorted(n.message_id for n in queued)  # each once
        assert all(fresh(n).status == "sent" for n in queued)
    finally:
        server.stop()


def test_after_the_set_number_of_failures_a_notice_fails_and_staff_can_retry_it(hanako, monkeypatch):
    monkeypatch.setenv("LIBRARY_MAIL_MAX_ATTEMPTS", "2")
    port = free_port()
    use_server(monkeypatch, port)
    (n,) = queue(hanako)
    mailer.send_pass(all_due=True)
    assert fresh(n).status == "pending"
    assert mailer.send_pass(all_due=True)["failed"] == 1
    assert fresh(n).status == "failed" and fresh(n).attempts == 2
    assert mailer.send_pass(all_due=True)["retrying"] == 0  # failed ones wait for staff
    assert [f["id"] for f in notices.overview()["failed"]] == [n.id]
    server = SmtpServer(port).start()
    try:
        notices.retry_notice(n.id)
        assert fresh(n).status == "pending" and fresh(n).attempts == 0
        assert mailer.send_pass()["sent"] == 1
        assert server.inbox.message_ids() == [n.message_id]
    finally:
        server.stop()


def test_permanent_rejection_stops_mail_to_the_address_and_puts_patron_on_call_list(hanako, smtp):
    smtp.inbox.reject["hanako@example.jp"] = "550 5.1.1 <hanako@example.jp>: User unknown"
    first, second = queue(hanako, 2)
    report = mailer.send_pass()
    assert report["rejected"] == 1 and report["sent"] == 0
    assert fresh(first).status == "failed" and fresh(first).last_error.startswith("550")
    assert fresh(second).status == "failed" and fresh(second).attempts == 0  # stopped, never tried
    assert smtp.inbox.messages == []
    patron = models.Patron.get_by_id(hanako.id)
    assert patron.email_ok is False
    calls = notices.call_list()
    assert [(c["card"], c["phone"]) for c in calls] == [(hanako.card, "0978-62-0001")]
    assert calls[0]["error"].startswith("550")
    # new notices to the dead address are kept for staff but not sent
    (later,) = queue(patron)
    assert fresh(later).status == "failed"
    assert mailer.send_pass(all_due=True)["sent"] == 0
    with pytest.raises(Refused) as exc:
        notices.retry_notice(later.id)
    assert exc.value.reasons == ["address-bounced"]
    # staff fix the address of that notice: it was her registered address, so that is fixed too
    # (completion notice to the new address only; her other stuck notices re-addressed)
    result = notices.retry_notice(later.id, "hanako@example.ne.jp")
    assert result["patron_email_changed"] and result["readdressed"] == 2
    assert notices.call_list() == []
    assert mailer.send_pass()["sent"] == 2
    assert [str(m["To"]) for m in smtp.inbox.messages] == ["hanako@example.ne.jp"] * 2
    assert {fresh(first).to_addr, fresh(second).to_addr} == {"hanako@example.ne.jp"}
    # a new registered address: completion notices to the new and the (working) old one
    notices.set_email(hanako.card, "hanako2@example.ne.jp")
    pending = models.Notice.select().where(models.Notice.status == "pending")
    assert sorted(n.to_addr for n in pending) == ["hanako2@example.ne.jp", "hanako@example.ne.jp"]


def test_rejection_of_an_old_address_does_not_mark_the_new_one(hanako, smtp):
    smtp.inbox.reject["hanako@example.jp"] = "550 mailbox gone"
    notices.set_email(hanako.card, "hanako@example.ne.jp")
    report = mailer.send_pass()
    assert report == {**report, "sent": 1, "rejected": 1}
    assert models.Patron.get_by_id(hanako.id).email_ok is True
    assert notices.call_list() == []


def test_temporary_rejection_is_retried(hanako, smtp):
    smtp.inbox.reject["hanako@example.jp"] = "451 4.3.0 try again later"
    (n,) = queue(hanako)
    assert mailer.send_pass()["retrying"] == 1
    assert fresh(n).status == "pending" and models.Patron.get_by_id(hanako.id).email_ok
    del smtp.inbox.reject["hanako@example.jp"]
    assert mailer.send_pass(all_due=True)["sent"] == 1


class Killed(BaseException):
    """Stands for the sender process dying (not an error it could handle)."""


def test_sender_killed_between_delivery_and_marking_redelivers_with_same_message_id(hanako, smtp, monkeypatch):
    (n,) = queue(hanako)

    def die(*args, **kwargs):
        raise Killed()

    with monkeypatch.context() as m:
        m.setattr(mailer, "_mark_sent", die)
        with pytest.raises(Killed):
            mailer.send_pass()
    assert len(smtp.inbox.messages) == 1 and fresh(n).status == "sending"
    assert mailer.send_pass(all_due=True)["sent"] == 0  # still claimed: no one else sends it yet
    monkeypatch.setenv("LIBRARY_MAIL_CLAIM_TIMEOUT_SECONDS", "0")  # the claim has now expired
    assert mailer.send_pass()["sent"] == 1
    assert smtp.inbox.message_ids() == [n.message_id, n.message_id]
    assert fresh(n).status == "sent"


def test_two_senders_at_once_deliver_each_notice_exactly_once(hanako, smtp):
    queued = queue(hanako, 30)
    start = threading.Barrier(3)
    reports = []

    def sender():
        start.wait()
        reports.append(run(mailer.send_pass))

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = smtp.inbox.message_ids()
    assert sorted(ids) == sorted(n.message_id for n in queued)  # every one, none twice
    assert sum(r["sent"] for r in reports) == 30
    assert models.Notice.select().where(models.Notice.status != "sent").count() == 0


def test_ready_notice_sent_marks_the_hold_notified(sample, hanako, smtp):
    bib = models.Bib.select().first()
    point = models.ServicePoint.get(models.ServicePoint.code == "YAM")
    with models.write_tx():
        hold = models.Hold.create(patron=hanako.id, bib=bib.id, pickup=point.id, status="ready")
        notices.queue_notice("hold-ready", hanako, hanako.email, {"title": bib.title, "pickup": point.name, "deadline": "12月10日"}, hold)
    assert models.Hold.get_by_id(hold.id).notified_at is None
    mailer.send_pass()
    assert models.Hold.get_by_id(hold.id).notified_at is not None
    (msg,) = smtp.inbox.messages
    assert bib.title in msg.get_content() and "山香図書室" in msg.get_content()


# --- command line -----------------------------------------------------------------------------


def call(capsys, *argv):
    status = cli.main(list(argv))
    out = capsys.readouterr().out
    return status, json.loads(out) if out.strip() else None


def test_cli_set_email_list_and_send(db_url, hanako, smtp, capsys):
    status, out = call(capsys, "patron", "set-email", hanako.card, "taro@yahoo.co.jp", "--json", "--db", db_url)
    assert status == 3 and out["reasons"] == ["freemail-needs-confirmation"]
    status, out = call(capsys, "patron", "set-email", "0000000", "x@example.jp", "--json", "--db", db_url)
    assert status == 3 and out["reasons"] == ["unknown-card"]
    status, out = call(capsys, "patron", "set-email", hanako.card, "x@@example.jp", "--json", "--db", db_url)
    assert status == 3 and out["reasons"] == ["invalid-email"]
    status, out = call(capsys, "patron", "set-email", hanako.card, "taro@yahoo.co.jp", "--yes", "--json", "--db", db_url)
    assert status == 0 and out["ok"] and out["email"] == "taro@yahoo.co.jp"
    status, rows = call(capsys, "notices", "list", "--json", "--db", db_url)
    assert status == 0 and len(rows) == 2
    assert all(set(r) == {"id", "kind", "to", "subject", "status", "attempts"} for r in rows)
    assert {r["to"] for r in rows} == {"taro@yahoo.co.jp", "hanako@example.jp"}
    assert {r["status"] for r in rows} == {"pending"}
    status, out = call(capsys, "notices", "send", "--all", "--json", "--db", db_url)
    assert status == 0 and out["sent"] == 2
    status, rows = call(capsys, "notices", "list", "--json", "--db", db_url)
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}


def test_cli_send_with_server_down_says_so_and_keeps_the_notice(db_url, hanako, monkeypatch, capsys):
    use_server(monkeypatch, free_port())
    queue(hanako)
    status = cli.main(["notices", "send", "--json", "--db", db_url])
    captured = capsys.readouterr()
    assert status == 1 and json.loads(captured.out)["retrying"] == 1
    assert "接続できません" in captured.err and "Traceback" not in captured.err
    assert models.Notice.get().status == "pending"


def test_cli_watch_delivers_and_stops_cleanly_on_interrupt(db_url, hanako, smtp, monkeypatch, capsys):
    queue(hanako, 2)
    passes = []

    def pause(stop, seconds):  # the pause between passes: Ctrl+C after the second pass
        passes.append(seconds)
        if len(passes) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("counter_app.commands.notices._pause", pause)
    status = cli.main(["notices", "send", "--watch", "--interval", "5", "--db", db_url])
    captured = capsys.readouterr()
    assert status == 0 and passes == [5.0, 5.0]
    assert "終了しました" in captured.err and "送信 2 件" in captured.err
    assert len(smtp.inbox.messages) == 2


KILLED_SENDER = """
import os, signal, sys
sys.path.insert(0, {root!r})
import models
from counter_app.services import mailer
models.open_database({url!r})
# the process dies (SIGKILL) after the server accepted the mail, before the notice is marked
mailer._mark_sent = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
mailer.send_pass()
"""


def test_sender_process_killed_after_delivery_redelivers_with_same_message_id(db_url, hanako, smtp, monkeypatch):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    (n,) = queue(hanako)
    root = str(Path(__file__).resolve().parent.parent)
    proc = subprocess.run([sys.executable, "-c", KILLED_SENDER.format(root=root, url=db_url)], env=dict(os.environ), timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert smtp.inbox.message_ids() == [n.message_id]
    assert fresh(n).status == "sending"
    monkeypatch.setenv("LIBRARY_MAIL_CLAIM_TIMEOUT_SECONDS", "0")
    assert mailer.send_pass()["sent"] == 1
    assert smtp.inbox.message_ids() == [n.message_id, n.message_id]
    assert fresh(n).status == "sent"


def test_delivered_notices_are_forgotten_after_the_keeping_period(hanako, smtp, monkeypatch):
    old, = queue(hanako)
    mailer.send_pass()
    monkeypatch.setenv("LIBRARY_TODAY", "2026-12-16")  # 13 days later: still kept
    mailer.send_pass()
    assert fresh(old).status == "sent"
    monkeypatch.setenv("LIBRARY_TODAY", "2026-12-18")  # past 14 days
    new, = queue(hanako)
    assert mailer.send_pass()["sent"] == 1
    assert models.Notice.get_or_none(models.Notice.id == old.id) is None
    assert fresh(new).status == "sent"


@pytest.mark.filterwarnings("ignore::UserWarning")  # aiosmtpd: AUTH without TLS (loopback test)
def test_smtp_login_with_user_and_password(hanako, monkeypatch):
    server = SmtpServer(login=("library", "s3cret-pass")).start()
    try:
        use_server(monkeypatch, server.port)
        monkeypatch.setenv("LIBRARY_SMTP_USER", "library")
        monkeypatch.setenv("LIBRARY_SMTP_PASSWORD", "wrong")
        (n,) = queue(hanako)
        report = mailer.send_pass()
        assert report["sent"] == 0 and "ログインできません" in report["error"]
        assert "wrong" not in fresh(n).last_error
        monkeypatch.setenv("LIBRARY_SMTP_PASSWORD", "s3cret-pass")
        assert mailer.send_pass(all_due=True)["sent"] == 1
        assert "library:refused" in server.logins and server.logins[-1] == "library:ok"
        assert server.inbox.message_ids() == [n.message_id]
    finally:
        server.stop()


def test_unusable_smtp_setting_is_reported_and_touches_nothing(db_url, hanako, monkeypatch, capsys):
    monkeypatch.setenv("LIBRARY_SMTP_TLS", "tls1.3")
    (n,) = queue(hanako)
    status = cli.main(["notices", "send", "--db", db_url])
    err = capsys.readouterr().err
    assert status == 1 and "設定の誤り" in err and "LIBRARY_SMTP_TLS" in err
    assert fresh(n).status == "pending" and fresh(n).attempts == 0


def test_cli_watch_survives_a_failing_pass(db_url, hanako, smtp, monkeypatch, capsys):
    queue(hanako)
    real, calls, passes = mailer.send_pass, [], []

    def flaky(all_due=False):
        calls.append(all_due)
        if len(calls) == 1:
            raise models.DatabaseError("database is locked")
        return real(all_due)

    def pause(stop, seconds):
        passes.append(seconds)
        if len(passes) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(mailer, "send_pass", flaky)
    monkeypatch.setattr("counter_app.commands.notices._pause", pause)
    status = cli.main(["notices", "send", "--watch", "--interval", "1", "--db", db_url])
    err = capsys.readouterr().err
    assert status == 0 and "次の回に再試行します" in err
    assert len(smtp.inbox.messages) == 1

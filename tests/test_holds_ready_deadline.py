"""The ready mail states the pickup deadline that is enforced: counted from the day the mail
is SENT, not the day it was queued."""

from __future__ import annotations

from datetime import date

import pytest

import models
from counter_app.services import holds, mailer, notices, points
from tests.helpers_holds import SANSHIRO, bib_of, folk, hold, set_today  # noqa: F401
from tests.helpers_notices import SmtpServer, use_server


@pytest.fixture
def smtp(monkeypatch):
    server = SmtpServer().start()
    use_server(monkeypatch, server.port)
    yield server
    server.stop()


def ja(day: date) -> str:
    return f"{day:%Y年%m月%d日}"


def ready_notice(folk, monkeypatch) -> tuple[int, models.Notice]:
    """An e-mail patron's reservation becomes ready at KIT on 2026-12-10 (notice queued)."""
    _phone, mail, _third, actor = folk
    set_today(monkeypatch, "2026-12-10")
    hold_id = holds.reserve(mail, bib_of(SANSHIRO), "KIT", via="counter", actor=actor)["hold_id"]
    assert holds.pull(SANSHIRO, "KIT", actor)["route"] == "hold-shelf"
    notice = models.Notice.get((models.Notice.hold == hold_id) & (models.Notice.kind == "hold-ready"))
    return hold_id, notice


def test_mail_sent_late_states_the_deadline_counted_from_the_send(folk, smtp, monkeypatch):
    hold_id, notice = ready_notice(folk, monkeypatch)
    kit = points.point_id("KIT")
    assert "$deadline" in notice.body and notice.status == "pending"  # not decided yet

    set_today(monkeypatch, "2026-12-14")  # the sender ran four days late
    assert mailer.send_pass()["sent"] == 1
    (msg,) = smtp.inbox.messages
    delivered = msg.get_content()

    h = hold(hold_id)
    assert h.deadline == holds.deadline_from(kit, date(2026, 12, 14))
    assert h.deadline != holds.deadline_from(kit, date(2026, 12, 10))
    assert f"取置期限: {ja(h.deadline)} まで" in delivered
    assert ja(holds.deadline_from(kit, date(2026, 12, 10))) not in delivered
    assert "$" not in delivered
    stored = models.Notice.get_by_id(notice.id)
    assert stored.status == "sent"
    assert stored.body.strip() == delivered.replace("\r\n", "\n").strip()  # what was sent is kept


def test_mail_after_a_call_states_the_deadline_the_call_started(folk, smtp, monkeypatch):
    hold_id, _notice = ready_notice(folk, monkeypatch)
    _phone, _mail, _third, actor = folk
    set_today(monkeypatch, "2026-12-11")
    called = date.fromisoformat(holds.mark_called(hold_id, actor)["deadline"])
    set_today(monkeypatch, "2026-12-15")
    assert mailer.send_pass()["sent"] == 1
    (msg,) = smtp.inbox.messages
    assert hold(hold_id).deadline == called
    assert f"取置期限: {ja(called)} まで" in msg.get_content()


def test_only_the_deadline_placeholder_is_filled():
    text = "資料名: 100$$ と $title の本\n取置期限: $deadline まで（${deadline}）"
    assert notices.fill_deadline(text, "2026年12月17日") == (
        "資料名: 100$$ と $title の本\n取置期限: 2026年12月17日 まで（2026年12月17日）"
    )

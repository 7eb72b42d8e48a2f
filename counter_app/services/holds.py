"""Reservations (予約): taking them (counter, telephone, web), the queue, assigning copies at
check-in or from the pull list, transit, the hold shelf, the ready notice, expiry, cancelling.

Status: ``waiting`` → ``in-transit`` → ``ready`` → ``fulfilled``; or ``cancelled``/``expired``.
A closed reservation keeps no link to the patron (privacy).

Circulation calls the hooks :func:`checkout_reasons`, :func:`on_checkout`, :func:`on_return`
and :func:`waiting_count` inside its own transactions.

Pickup deadline (取置期限): counted from the day the ready notice was *sent*
(:func:`notice_sent`, called by the mail sender) or the call was made (:func:`mark_called`),
never from the day the notice was queued. The ready mail is queued with a ``$deadline``
placeholder; the sender fills it just before delivery with :func:`deadline_if_sent` and hands
the same date to :func:`on_notice_sent`, so the mail states the deadline that is enforced.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import models
from counter_app import clock
from counter_app.config import settings
from counter_app.services import (
    CLI,
    SYSTEM,
    Actor,
    InvalidInput,
    Refused,
    audit,
    points,
)
from counter_app.services.calendar import calendar_for
from counter_app.services.notices import queue_notice
from counter_app.services.patrons import get_patron, hold_position
from policies import holds as policy
from policies.cards import normalize_barcode

OPEN = ("waiting", "in-transit", "ready")
VIAS = ("counter", "phone", "web")

Hold, Item, Bib, Patron, Loan, SP = models.Hold, models.Item, models.Bib, models.Patron, models.Loan, models.ServicePoint


# --- small helpers -----------------------------------------------------------------------------


def _code(point_id: int) -> str:
    return SP.get_by_id(point_id).code


def _name(point_id: int) -> str:
    return SP.get_by_id(point_id).name


def deadline_from(point_id: int, day: date) -> date:
    """取置期限 for a notice sent (or call made) on ``day`` at pickup point ``point_id``."""
    return policy.pickup_deadline(calendar_for(point_id), day, settings().pickup_days)


def email_contact(patron: models.Patron) -> bool:
    """The library contacts by e-mail when the patron has a working registered address."""
    return bool((patron.email or "").strip()) and bool(patron.email_ok)


def _open_hold(hold_id) -> models.Hold:
    try:
        hold_id = int(str(hold_id).strip())
    except ValueError:
        raise InvalidInput("invalid-hold", f"予約番号 {hold_id} は数字ではありません。") from None
    hold = Hold.get_or_none(Hold.id == hold_id)
    if hold is None:
        raise Refused("unknown-hold", f"予約番号 {hold_id} はありません。")
    if hold.status not in OPEN:
        raise Refused("hold-closed", f"予約番号 {hold_id} はすでに終了しています（{hold.status}）。")
    return hold


def queue_order():
    return (Hold.queued_at, Hold.id)


def _first_waiting(bib_id: int) -> models.Hold | None:
    return (
        Hold.select().where((Hold.bib == bib_id) & (Hold.status == "waiting")).order_by(*queue_order()).first()
    )


# --- hooks for circulation ---------------------------------------------------------------------


def waiting_count(bib_id: int) -> int:
    """How many reservations wait for a copy of the title (renewal refuses when > 0)."""
    return Hold.select().where((Hold.bib == bib_id) & (Hold.status == "waiting")).count()


def checkout_reasons(item: models.Item, patron: models.Patron, today: date) -> list[str]:
    """Reasons from reservations why ``item`` cannot be lent to ``patron`` now."""
    hold = Hold.get_or_none((Hold.item == item.id) & (Hold.status.in_(OPEN)))
    if hold is None:
        return []
    if hold.patron_id != patron.id:
        return ["held-for-another"]
    if hold.status != "ready":
        return ["hold-not-ready"]
    if hold.notified_at is None and hold.called_at is None:
        return ["hold-not-notified"]
    return []


def _closed_day() -> datetime:
    """When a hold closed, to the day only: a closing time to the second could be matched with
    the checkout that fulfilled it."""
    return datetime.combine(clock.today(), datetime.min.time())


def _drop_unsent_ready_notices(hold_id: int) -> None:
    """A ready mail not yet sent is pointless once the hold is picked up or cancelled, and it
    names the patron and the title: drop it."""
    models.Notice.delete().where(
        (models.Notice.hold == hold_id)
        & (models.Notice.kind == "hold-ready")
        & (models.Notice.status.in_(("pending", "failed")))
    ).execute()


def on_checkout(item: models.Item, patron: models.Patron) -> None:
    """The patron borrowed a copy of a title they reserved: the reservation is fulfilled (call
    inside the checkout transaction). If a different copy had been set aside for them, that copy
    goes to the next reservation or home. The closed hold keeps no link to the patron."""
    for hold in Hold.select().where((Hold.patron == patron.id) & (Hold.bib == item.bib_id) & (Hold.status.in_(OPEN))):
        other = hold.item_id if hold.item_id and hold.item_id != item.id else None
        # Fulfilled: neither the patron, the copy nor the minute of the loan stays with the title.
        Hold.update(status="fulfilled", closed_at=_closed_day(), patron=None, item=None).where(Hold.id == hold.id).execute()
        _drop_unsent_ready_notices(hold.id)
        if other:
            _reroute(Item.get_by_id(other), clock.today())


def on_return(item: models.Item, at_point_id: int, today: date) -> str | None:
    """Called by check-in inside its transaction, after the loan is closed, and when an item in
    transit arrives. Returns ``hold-shelf`` when a reservation takes the copy here,
    ``transit:CODE`` when a reservation takes it to another point, else None (check-in routes it
    home or to the shelf)."""
    item = Item.get_by_id(item.id)
    hold = Hold.get_or_none((Hold.item == item.id) & (Hold.status.in_(OPEN)))
    if hold is not None:
        if hold.pickup_id == at_point_id:
            if hold.status != "ready":
                _make_ready(hold, item, at_point_id)
            else:
                Item.update(status="on-hold-shelf", location=at_point_id, transit_to=None).where(Item.id == item.id).execute()
            return "hold-shelf"
        Hold.update(status="in-transit").where(Hold.id == hold.id).execute()
        Item.update(status="in-transit", location=at_point_id, transit_to=hold.pickup_id).where(Item.id == item.id).execute()
        return f"transit:{_code(hold.pickup_id)}"
    return _assign(item, at_point_id)


# --- assigning copies --------------------------------------------------------------------------


def _assign(item: models.Item, at_point_id: int, hold: models.Hold | None = None) -> str | None:
    """Give ``item`` (free, at ``at_point_id``) to ``hold`` or the first waiting reservation of
    its title."""
    if not item.owned:
        return None  # borrowed from another library: it goes back, it does not fill the queue
    hold = hold or _first_waiting(item.bib_id)
    if hold is None:
        return None
    if hold.pickup_id == at_point_id:
        Hold.update(item=item.id).where(Hold.id == hold.id).execute()
        _make_ready(Hold.get_by_id(hold.id), item, at_point_id)
        return "hold-shelf"
    Hold.update(item=item.id, status="in-transit").where(Hold.id == hold.id).execute()
    Item.update(status="in-transit", location=at_point_id, transit_to=hold.pickup_id).where(Item.id == item.id).execute()
    return f"transit:{_code(hold.pickup_id)}"


def _make_ready(hold: models.Hold, item: models.Item, point_id: int) -> None:
    """The copy is on the hold shelf at the pickup point: 受け取り可. An e-mail patron gets the
    ready notice queued now; a telephone patron goes on the call list."""
    Hold.update(status="ready", item=item.id, notified_at=None, called_at=None, deadline=None).where(
        Hold.id == hold.id
    ).execute()
    Item.update(status="on-hold-shelf", location=point_id, transit_to=None).where(Item.id == item.id).execute()
    patron = Patron.get_by_id(hold.patron_id)
    if hold.contact == "email" and email_contact(patron):
        bib = Bib.get_by_id(hold.bib_id)
        # No "deadline" in the context: $deadline stays in the stored body and the sender
        # fills it with the deadline counted from the day the mail actually goes out.
        queue_notice(
            "hold-ready",
            patron,
            patron.email,
            {"title": bib.title, "pickup": _name(point_id)},
            Hold.get_by_id(hold.id),
        )


def _reroute(item: models.Item, today: date) -> str:
    """A copy released by a closed reservation: to the next reservation, or home. Returns the
    route (``hold-shelf``, ``transit:CODE``, ``shelf``, or ``in-transit`` when it is travelling
    and will be routed on arrival)."""
    item = Item.get_by_id(item.id)
    if item.status == "in-transit":
        return "in-transit"  # check-in at its destination routes it again
    if item.status == "on-loan":
        return "on-loan"
    at = item.location_id
    route = _assign(item, at)
    if route:
        return route
    if item.home_id == at:
        Item.update(status="available", transit_to=None).where(Item.id == item.id).execute()
        return "shelf"
    Item.update(status="in-transit", transit_to=item.home_id).where(Item.id == item.id).execute()
    return f"transit:{_code(item.home_id)}"


def _transit_slip(barcode: str, title: str, from_point_id: int, route: str | None) -> str | None:
    """Print (or spool) a transit slip when ``route`` sends the copy to another point. Call
    after the transaction. Returns the slip's path or "printed", or None."""
    if not route or not route.startswith("transit:"):
        return None
    from counter_app.services.circulation import transit_slip_text
    from counter_app.services.slips import print_slip

    text = transit_slip_text({"barcode": barcode, "title": title}, _code(from_point_id), route.split(":", 1)[1])
    slip = print_slip("transit", text)
    return str(slip.path) if slip.path else "printed"


# --- reserving ----------------------------------------------------------------------------------


def _bib(bib_id) -> models.Bib:
    try:
        bib_id = int(str(bib_id).strip())
    except ValueError:
        raise InvalidInput("invalid-bib", f"書誌ID {bib_id} は数字ではありません。") from None
    bib = Bib.get_or_none(Bib.id == bib_id)
    if bib is None:
        raise Refused("unknown-bib", f"書誌ID {bib_id} の資料はありません。")
    return bib


def _owned_copies(bib_id: int) -> int:
    return Item.select().where((Item.bib == bib_id) & (Item.owned == True) & (Item.status != "withdrawn")).count()


def series_info(bib: models.Bib) -> str | None:
    """The separate-reservation note when the title is one volume of several in the catalogue."""
    found = policy.volume_of(bib.title, bib.series, bib.volume)
    if found is None:
        return None
    base, volume = found
    others = 0
    for other in Bib.select(Bib.id, Bib.title, Bib.series, Bib.volume).where(
        (Bib.id != bib.id) & (Bib.title.startswith(base) | (Bib.series == base))
    ):
        got = policy.volume_of(other.title, other.series, other.volume)
        if got and got[0] == base and got[1] != volume:
            others += 1
    return policy.series_note(volume, others)


def title_check(bib_id, card: str | None = None) -> dict:
    """Whether a title can be reserved at all (for screens: no reserve action when not), and,
    given a card, whether this patron can reserve it (the pickup point is chosen later)."""
    bib = _bib(bib_id)
    reasons = policy.title_reasons(bib.material_type, _owned_copies(bib.id))
    if card:
        patron = get_patron(card)
        facts = _facts(patron, bib, points.all_points()[0][0])
        reasons = policy.check_reserve(facts).reasons
    max_holds = settings().max_holds
    return {
        "bib_id": bib.id,
        "title": bib.title,
        "material_type": bib.material_type,
        "reservable": not reasons,
        "reasons": reasons,
        "message": "".join(policy.reason_text(r, max_holds) for r in reasons),
        "series_note": series_info(bib),
        "waiting": waiting_count(bib.id),
    }


def _facts(patron: models.Patron, bib: models.Bib, pickup: str) -> policy.ReserveFacts:
    open_holds = Hold.select().where((Hold.patron == patron.id) & (Hold.status.in_(OPEN)))
    on_loan = (
        Loan.select().join(Item).where((Loan.patron == patron.id) & (Item.bib == bib.id)).exists()
    )
    return policy.ReserveFacts(
        material_type=bib.material_type,
        owned_copies=_owned_copies(bib.id),
        open_holds=open_holds.count(),
        max_holds=settings().max_holds,
        already_reserved=open_holds.where(Hold.bib == bib.id).exists(),
        on_loan=on_loan,
        pickup=pickup,
        pickup_points=tuple(code for code, _ in points.all_points()),
    )


def patron_brief(card: str) -> dict:
    """The patron summary plus how the library will contact them about a reservation."""
    from counter_app.services.patrons import patron_summary

    patron = get_patron(card)
    info = patron_summary(patron.card)
    info["contact"] = "email" if email_contact(patron) else "phone"
    info["max_holds"] = settings().max_holds
    return info


def check(card: str, bib_id, pickup: str) -> policy.ReserveCheck:
    """The reservation rule for this patron and title, without reserving."""
    return policy.check_reserve(_facts(get_patron(card), _bib(bib_id), pickup))


def reserve(
    card: str,
    bib_id,
    pickup: str,
    via: str = "counter",
    want_mail: bool = False,
    actor: Actor = CLI,
) -> dict:
    """Take a reservation for the patron (after the confirmation step). Returns
    ``{"ok", "hold_id", "position", ...}``; a :class:`Refused` names every reason."""
    via = (via or "").strip().lower()
    if via not in VIAS:
        raise InvalidInput("invalid-via", "受付方法は phone・counter・web のいずれかです。")
    pickup = (pickup or "").strip().upper()
    with models.write_tx():
        patron = get_patron(card)
        if patron.withdrawn:
            raise Refused("patron-withdrawn", f"利用者カード {patron.card} は退会済みです。")
        bib = _bib(bib_id)
        result = policy.check_reserve(_facts(patron, bib, pickup))
        if not result.ok:
            raise Refused(result.reasons, result.message)
        use_mail = email_contact(patron)
        if via == "web" and not use_mail:
            raise Refused("no-email", "WEBでの予約にはメールアドレスの登録が必要です。")
        pickup_id = points.point_id(pickup)
        hold = Hold.create(
            patron=patron.id,
            bib=bib.id,
            pickup=pickup_id,
            status="waiting",
            queued_at=clock.now(),
            contact="email" if use_mail else "phone",
            want_mail=bool(want_mail and use_mail),
            via=via,
            staff=actor.staff_id,
        )
        position = hold_position(hold)
        if hold.want_mail:
            queue_notice(
                "hold-received",
                patron,
                patron.email,
                {"title": bib.title, "pickup": _name(pickup_id), "position": str(position)},
                hold,
            )
        audit(actor, "hold-reserve", "", hold=hold.id, pickup=pickup, via=via)
    return {
        "ok": True,
        "hold_id": hold.id,
        "position": position,
        "bib_id": bib.id,
        "title": bib.title,
        "pickup": pickup,
        "contact": hold.contact,
        "want_mail": hold.want_mail,
        "series_note": series_info(bib),
    }


# --- staff actions ------------------------------------------------------------------------------


def cancel_hold(hold_id, actor: Actor = CLI, reason: str = "patron") -> dict:
    """予約取消 (the patron's request, at the counter, by phone or on the web). Works in every
    open state; an assigned copy goes to the next reservation or home."""
    with models.write_tx():
        hold = _open_hold(hold_id)
        before = hold.status
        Hold.update(status="cancelled", closed_at=_closed_day(), patron=None).where(Hold.id == hold.id).execute()
        _drop_unsent_ready_notices(hold.id)
        route = None
        barcode = None
        if hold.item_id:
            barcode = Item.get_by_id(hold.item_id).barcode
            route = _reroute(Item.get_by_id(hold.item_id), clock.today())
        audit(actor, "hold-cancel", "", hold=hold.id, status=before, route=route, why=reason)
    slip = None
    if hold.item_id:
        it = Item.get_by_id(hold.item_id)
        slip = _transit_slip(it.barcode, Bib.get_by_id(it.bib_id).title, it.location_id, route)
    return {"ok": True, "hold_id": hold.id, "status": "cancelled", "was": before, "barcode": barcode, "route": route, "slip": slip}


def mark_called(hold_id, actor: Actor = CLI) -> dict:
    """Staff telephoned the patron that the copy is ready: the pickup deadline starts today."""
    with models.write_tx():
        hold = _open_hold(hold_id)
        if hold.status != "ready":
            raise Refused("hold-not-ready", f"予約番号 {hold.id} はまだ受け取り可になっていません。")
        now = clock.now()
        deadline = hold.deadline or deadline_from(hold.pickup_id, now.date())
        Hold.update(called_at=hold.called_at or now, deadline=deadline).where(Hold.id == hold.id).execute()
        audit(actor, "hold-called", "", hold=hold.id, deadline=deadline.isoformat())
    return {"ok": True, "hold_id": hold.id, "deadline": deadline.isoformat()}


def deadline_if_sent(hold_id, day: date) -> date | None:
    """The pickup deadline the hold gets if its ready notice is sent on ``day`` (the one it
    already has when staff called first). None when the hold no longer exists."""
    hold = Hold.get_or_none(Hold.id == hold_id)
    if hold is None:
        return None
    return hold.deadline or deadline_from(hold.pickup_id, day)


def notice_sent(hold_id, when: datetime | None = None, deadline: date | None = None) -> date | None:
    """The ready notice for ``hold_id`` was sent at ``when``: the deadline starts then (or is
    ``deadline``, the date the sender wrote in the mail). Called by the mail sender (inside or
    outside a transaction); idempotent. Returns the deadline, or None when the hold is no
    longer ready."""
    when = when or clock.now()
    with models.write_tx():
        hold = Hold.get_or_none(Hold.id == hold_id)
        if hold is None or hold.status != "ready":
            return None
        if hold.notified_at is not None and hold.deadline is not None:
            return hold.deadline
        deadline = hold.deadline or deadline or deadline_from(hold.pickup_id, when.date())
        Hold.update(notified_at=when, deadline=deadline).where(Hold.id == hold.id).execute()
        audit(SYSTEM, "hold-notified", "", hold=hold.id, deadline=deadline.isoformat())
    return deadline


def on_notice_sent(notice: models.Notice, sent_at: datetime, deadline: date | None = None) -> None:
    """Hook the mail sender calls when a ``hold-ready`` notice was delivered (in its
    transaction); ``deadline`` is the date the delivered mail states."""
    if notice.hold_id is not None:
        notice_sent(notice.hold_id, sent_at, deadline)


def pull(barcode: str, at: str, actor: Actor = CLI) -> dict:
    """Staff took a copy listed on the pull list off the shelf at ``at``: it goes to the first
    waiting reservation (hold shelf here, or transit to the pickup point)."""
    code = normalize_barcode(barcode)
    if not code:
        raise InvalidInput("empty-barcode", "資料のバーコードを入力してください。")
    at_id = points.point_id(at)
    with models.write_tx():
        item = Item.get_or_none(Item.barcode == code)
        if item is None:
            raise Refused("unknown-item", f"バーコード {code} の資料はありません。")
        if item.status != "available" or Hold.select().where((Hold.item == item.id) & (Hold.status.in_(OPEN))).exists():
            raise Refused("not-available", f"{code} は在架ではありません。")
        if item.location_id != at_id:
            raise Refused("not-here", f"{code} は{_name(item.location_id)}の資料です（この館: {_name(at_id)}）。")
        if not item.owned:
            raise Refused("not-owned", f"{code} は他館から借りている資料です。")
        planned = [h for h, it in _plan(item.bib_id) if it.id == item.id]
        hold = planned[0] if planned else _first_waiting(item.bib_id)
        if hold is None:
            raise Refused("no-waiting-hold", f"{code} の書誌に予約待ちはありません。")
        route = _assign(item, at_id, hold)
        audit(actor, "hold-pull", "", hold=hold.id, route=route)
    title = Bib.get_by_id(item.bib_id).title
    slip = _transit_slip(code, title, at_id, route)
    return {"ok": True, "barcode": code, "hold_id": hold.id, "route": route, "title": title, "slip": slip}


def daily(today: date | None = None, actor: Actor = SYSTEM) -> dict:
    """Morning run (idempotent): ready reservations past their pickup deadline expire and their
    copy goes to the next reservation or home. Returns the list for staff."""
    today = today or clock.today()
    expired = []
    with models.write_tx():
        rows = list(
            Hold.select().where((Hold.status == "ready") & (Hold.deadline.is_null(False)) & (Hold.deadline < today)).order_by(Hold.id)
        )
        for hold in rows:
            patron = Patron.get_by_id(hold.patron_id)
            bib = Bib.get_by_id(hold.bib_id)
            Hold.update(status="expired", closed_at=_closed_day(), patron=None).where(Hold.id == hold.id).execute()
            item = Item.get_by_id(hold.item_id) if hold.item_id else None
            route = _reroute(item, today) if item else None
            if hold.contact == "email" and email_contact(patron):
                queue_notice(
                    "hold-expired", patron, patron.email,
                    {"title": bib.title, "pickup": _name(hold.pickup_id), "deadline": f"{hold.deadline:%Y年%m月%d日}"},
                    hold,
                )
            audit(actor, "hold-expire", "", hold=hold.id, deadline=hold.deadline.isoformat(), route=route)
            expired.append({
                "hold_id": hold.id,
                "title": bib.title,
                "barcode": item.barcode if item else None,
                "pickup": _code(hold.pickup_id),
                "deadline": hold.deadline.isoformat(),
                "route": route,
            })
    for row in expired:
        if row["barcode"]:
            it = Item.get(Item.barcode == row["barcode"])
            row["slip"] = _transit_slip(it.barcode, row["title"], it.location_id, row["route"])
    return {"ok": True, "date": today.isoformat(), "expired": expired, "count": len(expired)}


# --- lists for F9 -------------------------------------------------------------------------------


def _plan(bib_id: int) -> list[tuple[models.Hold, models.Item]]:
    """Which free shelf copy should serve which waiting reservation of a title: reservations in
    queue order, each taking a copy at its own pickup point when there is one, else the first
    free copy (main library first)."""
    assigned = Hold.select(Hold.item).where((Hold.item.is_null(False)) & (Hold.status.in_(OPEN)))
    free = list(
        Item.select(Item)
        .join(SP, on=(Item.location == SP.id))
        .where(
            (Item.bib == bib_id) & (Item.status == "available") & (Item.owned == True)
            & (Item.id.not_in(assigned))
        )
        .order_by(SP.id, Item.barcode)
    )
    plan = []
    for hold in Hold.select().where((Hold.bib == bib_id) & (Hold.status == "waiting")).order_by(*queue_order()):
        if not free:
            break
        pick = next((it for it in free if it.location_id == hold.pickup_id), free[0])
        free.remove(pick)
        plan.append((hold, pick))
    return plan


def pull_list(at: str | None = None) -> list[dict]:
    """Titles with waiting reservations and a free copy on a shelf: which copy to take from
    which point, for which pickup point. ``at`` limits the list to copies at that point."""
    at_id = points.point_id(at) if at else None
    out = []
    bib_ids = [h.bib_id for h in Hold.select(Hold.bib).where(Hold.status == "waiting").distinct()]
    for bib_id in bib_ids:
        plan = _plan(bib_id)
        if not plan:
            continue
        bib = Bib.get_by_id(bib_id)
        for hold, it in plan:
            if at_id is not None and it.location_id != at_id:
                continue
            out.append({
                "bib_id": bib_id,
                "title": bib.title,
                "barcode": it.barcode,
                "call_number": it.call_number,
                "at": _code(it.location_id),
                "pickup": _code(hold.pickup_id),
                "hold_id": hold.id,
                "queued_at": hold.queued_at.isoformat(sep=" "),
            })
    out.sort(key=lambda r: (r["queued_at"], r["hold_id"]))
    return out


def in_transit_to(at: str) -> list[dict]:
    """Copies travelling to ``at``: for a reservation (to the hold shelf) or home."""
    at_id = points.point_id(at)
    rows = (
        Item.select(Item, Bib).join(Bib).where((Item.status == "in-transit") & (Item.transit_to == at_id)).order_by(Item.barcode)
    )
    out = []
    for it in rows:
        hold = Hold.get_or_none((Hold.item == it.id) & (Hold.status.in_(OPEN)))
        out.append({
            "barcode": it.barcode,
            "title": it.bib.title,
            "from": _code(it.location_id),
            "hold_id": hold.id if hold else None,
            "purpose": "hold" if hold else "home",
        })
    return out


def _ready_rows(where):
    return (
        Hold.select(Hold, Bib, Patron, Item)
        .join(Bib, on=(Hold.bib == Bib.id))
        .switch(Hold)
        .join(Patron, on=(Hold.patron == Patron.id))
        .switch(Hold)
        .join(Item, on=(Hold.item == Item.id))
        .where((Hold.status == "ready") & where)
        .order_by(Hold.deadline.is_null(False), Hold.deadline, Hold.id)
    )


def _notice_state(hold: models.Hold) -> str:
    """sent | called | queued | failed | call (telephone contact, not yet called)."""
    if hold.notified_at:
        return "sent"
    if hold.called_at:
        return "called"
    if hold.contact == "email":
        n = models.Notice.select().where((models.Notice.hold == hold.id) & (models.Notice.kind == "hold-ready")).order_by(models.Notice.id.desc()).first()
        if n is not None and n.status == "failed":
            return "failed"
        if n is not None:
            return "queued"
    return "call"


def hold_shelf(at: str) -> list[dict]:
    """The hold shelf at ``at``: ready reservations with their deadlines."""
    at_id = points.point_id(at)
    out = []
    for h in _ready_rows(Hold.pickup == at_id):
        out.append({
            "hold_id": h.id,
            "barcode": h.item.barcode,
            "title": h.bib.title,
            "card": h.patron.card,
            "name": h.patron.name,
            "contact": h.contact,
            "notice": _notice_state(h),
            "deadline": h.deadline.isoformat() if h.deadline else None,
        })
    return out


def call_list(at: str | None = None) -> list[dict]:
    """Ready reservations whose patron must be telephoned: telephone contact, or the ready mail
    could not be delivered; not yet called."""
    where = Hold.called_at.is_null() & Hold.notified_at.is_null()
    if at:
        where &= Hold.pickup == points.point_id(at)
    out = []
    for h in _ready_rows(where):
        state = _notice_state(h)
        if state not in ("call", "failed"):
            continue
        out.append({
            "hold_id": h.id,
            "card": h.patron.card,
            "name": h.patron.name,
            "phone": h.patron.phone,
            "title": h.bib.title,
            "barcode": h.item.barcode,
            "pickup": _code(h.pickup_id),
            "why": "mail-failed" if state == "failed" else "phone",
        })
    return out


def expired_today(at: str | None = None, today: date | None = None) -> list[dict]:
    """Reservations that expired today (the patron link is gone: title, copy, where it went)."""
    today = today or clock.today()
    start = datetime.combine(today, datetime.min.time())
    where = (Hold.status == "expired") & (Hold.closed_at >= start) & (Hold.closed_at < start + timedelta(days=1))
    if at:
        where &= Hold.pickup == points.point_id(at)
    out = []
    for h in Hold.select(Hold, Bib).join(Bib).where(where).order_by(Hold.id):
        item = Item.get_or_none(Item.id == h.item_id) if h.item_id else None
        out.append({
            "hold_id": h.id,
            "title": h.bib.title,
            "barcode": item.barcode if item else None,
            "pickup": _code(h.pickup_id),
            "deadline": h.deadline.isoformat() if h.deadline else None,
            "now": _item_where(item),
            "next_pickup": _next_pickup(item),
        })
    return out


def _next_pickup(item: models.Item | None) -> str | None:
    """The pickup point of the open reservation a copy now serves (None if it serves none)."""
    if item is None:
        return None
    hold = Hold.get_or_none((Hold.item == item.id) & (Hold.status.in_(OPEN)))
    return _code(hold.pickup_id) if hold is not None else None


def _item_where(item: models.Item | None) -> str:
    if item is None:
        return ""
    hold = Hold.get_or_none((Hold.item == item.id) & (Hold.status.in_(OPEN)))
    if hold is not None:
        return f"hold:{hold.id}"
    if item.status == "in-transit" and item.transit_to_id:
        return f"transit:{_code(item.transit_to_id)}"
    return item.status


def lists(at: str) -> dict:
    """Everything F9 shows for service point ``at``."""
    return {
        "at": _code(points.point_id(at)),
        "pull": pull_list(),
        "in_transit": in_transit_to(at),
        "hold_shelf": hold_shelf(at),
        "expired_today": expired_today(at),
        "call": call_list(at),
    }

"""Circulation (貸出・返却・延長) at the counter and by telephone.

Each item of a checkout, check-in or renewal is its own transaction: one refused barcode never
undoes the others, and a result list says for every barcode what happened. The rules are in
``policies.loans`` (checkout, due date), ``policies.renewal`` (renewal) and
``policies.calendar`` (closed days); reservations join through the seams in
``counter_app.services.holds`` (checkout_reasons / on_checkout / on_return).

Privacy: a return deletes the loan; only a :class:`models.CirculationCount` (day, service point,
event, material type, NDC class) remains. Audit events of circulation carry the card OR the
barcode, never both, so no record links a patron to an item once it is back.

Result codes (besides the checkout reasons in ``policies.loans`` and the renewal reasons in
``policies.renewal``): ``empty-barcode`` (a blank line), ``unknown-item``, ``not-on-loan``
(renew: the item is not on loan to this patron), ``item-withdrawn`` (check-in of a withdrawn
item).
"""

from __future__ import annotations

from datetime import date

from peewee import IntegrityError, fn

import models
from counter_app import clock
from counter_app.config import settings
from counter_app.services import CLI, Actor, InvalidInput, Refused, audit, holds, points
from counter_app.services.calendar import calendar_for
from counter_app.services.patrons import get_patron, kana_key, mask_phone
from counter_app.services.slips import WIDTH, center, print_slip, rule
from policies import loans as loan_rules
from policies import renewal as renewal_rules
from policies.cards import normalize_barcode

CHANNELS = ("counter", "phone", "web")
CHANNEL_JA = {"counter": "カウンター", "phone": "電話", "web": "WEB"}

OTHER_REASONS = {
    "empty-barcode": "バーコードが空です。",
    "unknown-item": "このバーコードの資料は登録されていません。",
    "not-on-loan": "この利用者に貸出中の資料ではありません。",
    "item-withdrawn": "除籍された資料です。",
}


def reason_text(code: str) -> str:
    """Japanese text of any circulation reason code."""
    return (
        renewal_rules.RENEWAL_REASONS.get(code)
        or loan_rules.CHECKOUT_REASONS.get(code)
        or loan_rules.WARNINGS.get(code)
        or OTHER_REASONS.get(code)
        or code
    )


def reasons_message(codes: list[str]) -> str:
    return " ".join(reason_text(c) for c in codes)


def loan_rules_from_settings() -> loan_rules.LoanRules:
    cfg = settings()
    return loan_rules.LoanRules(dict(cfg.loan_days), cfg.max_items, cfg.max_av)


def _jdate(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _find_item(barcode: str) -> models.Item | None:
    return models.Item.get_or_none(models.Item.barcode == barcode)


def _count(day: date, branch_code: str, event: str, bib: models.Bib) -> None:
    """Add one to the statistics row of (day, point, event, material type, NDC class)."""
    ndc = (bib.ndc or "").strip()
    ndc_class = ndc[0] if ndc[:1].isdigit() else ""
    CC = models.CirculationCount
    CC.insert(
        day=day, branch=branch_code, event=event, material_type=bib.material_type or "book",
        ndc_class=ndc_class, count=1,
    ).on_conflict(
        conflict_target=[CC.day, CC.branch, CC.event, CC.material_type, CC.ndc_class],
        update={CC.count: CC.count + 1},
    ).execute()


def _patron_loan_counts(patron_id: int) -> tuple[int, int]:
    rows = (
        models.Loan.select(models.Bib.material_type, fn.COUNT(models.Loan.id).alias("n"))
        .join(models.Item)
        .join(models.Bib)
        .where(models.Loan.patron == patron_id)
        .group_by(models.Bib.material_type)
        .tuples()
    )
    total = av = 0
    for material_type, n in rows:
        total += n
        if material_type in loan_rules.AV_TYPES:
            av += n
    return total, av


def _overdue_count(patron_id: int, today: date, except_loan: int | None = None) -> int:
    query = models.Loan.select().where((models.Loan.patron == patron_id) & (models.Loan.due < today))
    if except_loan is not None:
        query = query.where(models.Loan.id != except_loan)
    return query.count()


# --- checkout ---------------------------------------------------------------------------------


def checkout(card: str, barcodes: list[str], at: str, actor: Actor = CLI) -> list[dict]:
    """Lend items to a patron at service point ``at``. One dict per barcode:
    {"barcode","ok","due","reasons","title","message"} (plus "warnings")."""
    at_id = points.point_id(at)
    at_code = at.strip().upper()
    patron = get_patron(card)
    rules = loan_rules_from_settings()
    cal = calendar_for(at_id)
    today = clock.today()
    return [_checkout_one(patron.id, raw, at_id, at_code, rules, cal, today, actor) for raw in barcodes]


def _refusal(barcode: str, reasons: list[str], title: str = "", **extra) -> dict:
    return {"barcode": barcode, "ok": False, "due": None, "reasons": reasons, "title": title,
            "message": reasons_message(reasons), **extra}


def _checkout_one(patron_id, raw, at_id, at_code, rules, cal, today, actor) -> dict:
    barcode = normalize_barcode(raw)
    if not barcode:
        return _refusal(raw, ["empty-barcode"])
    try:
        with models.write_tx():
            patron = models.Patron.get_by_id(patron_id)
            item = _find_item(barcode)
            if item is None:
                return _refusal(barcode, ["unknown-item"])
            bib = item.bib
            loan = models.Loan.get_or_none(models.Loan.item == item.id)
            n, n_av = _patron_loan_counts(patron.id)
            facts = loan_rules.CheckoutFacts(
                item_status=item.status if loan is None else "on-loan",
                material_type=bib.material_type,
                loaned_to_patron=loan is not None and loan.patron_id == patron.id,
                patron_blocked=patron.blocked,
                patron_withdrawn=patron.withdrawn,
                patron_loans=n,
                patron_av_loans=n_av,
                held_elsewhere=item.status == "on-hold-shelf" and item.location_id != at_id,
            )
            reasons = loan_rules.checkout_reasons(facts, rules)
            for code in holds.checkout_reasons(item, patron, today):
                if code not in reasons:
                    reasons.append(code)
            if reasons:
                return _refusal(barcode, reasons, bib.title)
            due = loan_rules.due_date(rules, cal, bib.material_type, today)
            models.Loan.create(
                item=item.id, patron=patron.id, branch=at_id, loaned_on=today, due=due,
                staff=actor.staff_id,
            )
            models.Item.update(status="on-loan", location=at_id, transit_to=None).where(
                models.Item.id == item.id
            ).execute()
            holds.on_checkout(item, patron)
            _count(today, at_code, "checkout", bib)
            # Card, not barcode: the audit trail must not keep who borrowed what.
            # Who lent is recorded; to whom stays on the open loan only (gone at return).
            audit(actor, "checkout", "", point=at_code, due=due.isoformat(),
                  material_type=bib.material_type)
            warnings = ["patron-overdue"] if _overdue_count(patron.id, today) else []
    except IntegrityError:  # another terminal lent it a moment ago
        return _refusal(barcode, ["on-loan"])
    message = f"返却期限 {_jdate(due)}"
    if warnings:
        message += "　※" + reasons_message(warnings)
    return {"barcode": barcode, "ok": True, "due": due.isoformat(), "reasons": [], "title": bib.title,
            "message": message, "warnings": warnings}


def receipt_text(card: str, results: list[dict], at: str) -> str:
    """貸出レシート: the due dates of the items just lent (titles, no card holder's name)."""
    cfg = settings()
    lines = [center(cfg.library_name), center("貸出票"), rule(),
             f"{points.point_name(at.upper())}　{_jdate(clock.today())}",
             f"利用者カード ****{card[-3:]}", rule()]
    lent = [r for r in results if r.get("ok")]
    for r in lent:
        lines.append(_clip(r.get("title") or r["barcode"], WIDTH))
        lines.append(f"  {r['barcode']}  返却期限 {r['due']}")
    lines += [rule(), f"貸出 {len(lent)} 点", "返却期限までにお返しください。",
              f"延長: {cfg.web_url}", ""]
    return "\n".join(lines)


def print_receipt(card: str, results: list[dict], at: str):
    """Print (or spool) the receipt of due dates. Returns a SlipResult."""
    return print_slip("receipt", receipt_text(card, results, at))


def _clip(text: str, width: int) -> str:
    from counter_app.services.slips import display_width

    out = ""
    for ch in text:
        if display_width(out + ch) > width:
            break
        out += ch
    return out


# --- check-in -----------------------------------------------------------------------------------


# What a check-in scan was (the "kind" of its result): only ``return`` closed a loan.
CHECKIN_KINDS = {
    "return": "返却",
    "arrival": "回送到着",
    "found": "不明資料の発見",
    "not-on-loan": "貸出中でない資料",
    "on-hold-shelf": "取置中の資料",
    "passing": "回送中の資料（経由）",
    "already-in-transit": "回送手続き済み",
}


def checkin(barcodes: list[str], at: str, actor: Actor = CLI) -> list[dict]:
    """Take items back at ``at``. One dict per barcode: {"barcode","ok","route","title",
    "message","kind"} (plus "reasons", "slip"), route ``shelf``, ``transit:CODE`` or
    ``hold-shelf``; ``kind`` (:data:`CHECKIN_KINDS`) says whether a loan was closed
    (``return``) or the scan was an arrival, a second scan, …; a refused scan has no kind."""
    at_id = points.point_id(at)
    at_code = at.strip().upper()
    today = clock.today()
    results = []
    for raw in barcodes:
        result = _checkin_one(raw, at_id, at_code, today, actor)
        route = result.get("route") or ""
        if result["ok"] and route.startswith("transit:") and result.pop("_slip", False):
            slip = print_slip("transit", transit_slip_text(result, at_code, route.split(":", 1)[1]))
            result["slip"] = str(slip.path) if slip.path else "printed"
            result["message"] += f"　回送票: {slip.message}"
            done = "回送票を印刷しました。" if slip.printed else "回送票をファイルに保存しました。"
            result["note"] = " ".join(filter(None, [result.get("note", ""), done]))
        result.pop("_slip", None)
        results.append(result)
    return results


def _checkin_one(raw, at_id, at_code, today, actor) -> dict:
    barcode = normalize_barcode(raw)
    if not barcode:
        return {"barcode": raw, "ok": False, "route": None, "title": "", "reasons": ["empty-barcode"],
                "message": reason_text("empty-barcode")}
    notes: list[str] = []
    with models.write_tx():
        item = _find_item(barcode)
        if item is None:
            return {"barcode": barcode, "ok": False, "route": None, "title": "", "reasons": ["unknown-item"],
                    "message": reason_text("unknown-item")}
        bib = item.bib
        if item.status == "withdrawn":
            return {"barcode": barcode, "ok": False, "route": None, "title": bib.title,
                    "reasons": ["item-withdrawn"], "message": reason_text("item-withdrawn")}
        loan = models.Loan.get_or_none(models.Loan.item == item.id)
        if loan is not None:
            late = (today - loan.due).days
            if late > 0:
                notes.append(f"返却期限を{late}日過ぎていました。")
            loan.delete_instance()  # the patron–item link ends here
            _count(today, at_code, "checkin", bib)
            kind = "return"
        elif item.status == "on-hold-shelf":
            return {"barcode": barcode, "ok": True, "route": "hold-shelf", "title": bib.title, "kind": "on-hold-shelf",
                    "reasons": [], "message": "取置中の資料です。取置棚に戻してください。", "note": "取置中の資料です。"}
        elif item.status == "in-transit" and item.transit_to_id not in (None, at_id):
            dest = models.ServicePoint.get_by_id(item.transit_to_id).code
            route = f"transit:{dest}"
            if item.location_id == at_id:  # scanned again where it was sent off: nothing changes
                return {"barcode": barcode, "ok": True, "route": route, "title": bib.title,
                        "kind": "already-in-transit", "reasons": [],
                        "message": f"すでに{points.point_name(dest)}への回送手続き済みです（回送票は出力済み）。",
                        "note": "回送手続き済みです（2回目の読み取り）。"}
            # Passing through this point on its way: it leaves from here now, with a slip.
            models.Item.update(location=at_id).where(models.Item.id == item.id).execute()
            return {"barcode": barcode, "ok": True, "route": route, "title": bib.title, "kind": "passing",
                    "reasons": [], "message": f"回送中の資料です。{points.point_name(dest)}へ回送します。",
                    "note": "回送中の資料です。", "_slip": True}
        elif item.status == "in-transit":
            kind = "arrival"
            notes.append("回送資料が到着しました。")
        elif item.status == "missing":
            kind = "found"
            notes.append("不明資料が見つかりました。")
        else:
            kind = "not-on-loan"
            notes.append("貸出中ではありませんでした。")
        models.Item.update(status="available", location=at_id, transit_to=None).where(
            models.Item.id == item.id
        ).execute()
        item = models.Item.get_by_id(item.id)
        route = holds.on_return(item, at_id, today)
        if route is None:
            if item.home_id != at_id:
                home = models.ServicePoint.get_by_id(item.home_id)
                models.Item.update(status="in-transit", transit_to=home.id).where(
                    models.Item.id == item.id
                ).execute()
                route = f"transit:{home.code}"
            else:
                route = "shelf"
        audit(actor, "checkin", "", barcode=barcode, point=at_code, route=route)
    return {"barcode": barcode, "ok": True, "route": route, "title": bib.title, "reasons": [], "kind": kind,
            "message": " ".join([route_text(route), *notes]), "note": " ".join(notes),
            "_slip": route.startswith("transit:")}


def checkin_summary(results: list[dict]) -> str:
    """「返却 2 点・到着 1 点・その他 1 点」: only closed loans count as returns."""
    kinds = [r.get("kind") for r in results if r.get("ok")]
    parts = [f"返却 {kinds.count('return')} 点"]
    if kinds.count("arrival"):
        parts.append(f"到着 {kinds.count('arrival')} 点")
    others = len(kinds) - kinds.count("return") - kinds.count("arrival")
    if others:
        parts.append(f"その他 {others} 点")
    refused = sum(1 for r in results if not r.get("ok"))
    if refused:
        parts.append(f"処理できない資料 {refused} 点")
    return "・".join(parts)


def route_text(route: str | None) -> str:
    if not route:
        return ""
    if route == "shelf":
        return "配架してください（書架へ）。"
    if route == "hold-shelf":
        return "予約資料です。取置棚へ。"
    if route.startswith("transit:"):
        code = route.split(":", 1)[1]
        return f"{points.point_name(code)}（{code}）へ回送してください。"
    return route


def transit_slip_text(result: dict, from_code: str, to_code: str) -> str:
    lines = [
        center("回送票"), rule("="),
        f"回送先: {points.point_name(to_code)}（{to_code}）",
        f"発送元: {points.point_name(from_code)}（{from_code}）",
        f"日付:   {_jdate(clock.today())}", rule(),
        f"資料 {result['barcode']}", _clip(result.get("title") or "", WIDTH), rule("="), "",
    ]
    return "\n".join(lines)


# --- renewal ---------------------------------------------------------------------------------


def _renewal_facts(loan: models.Loan, today: date) -> renewal_rules.RenewalFacts:
    item = loan.item
    return renewal_rules.RenewalFacts(
        due=loan.due,
        renewals=loan.renewals,
        owned=item.owned,
        material_type=item.bib.material_type,
        title_waiting=holds.waiting_count(item.bib_id),
        other_overdue=_overdue_count(loan.patron_id, today, except_loan=loan.id),
    )


def renew(card: str, barcodes: list[str], via: str, actor: Actor = CLI, identity: str = "") -> list[dict]:
    """Renew loans of one patron. One dict per barcode: {"barcode","ok","due","reasons",
    "message"} (plus "title", "old_due"). ``via`` is the channel (counter | phone | web);
    ``identity`` how the caller was identified (e.g. ``card`` or ``kana+birth``)."""
    if via not in CHANNELS:
        raise InvalidInput("invalid-channel", f"延長の受付方法は {' / '.join(CHANNELS)} のどれかです（入力: {via}）。")
    patron = get_patron(card)
    rules = loan_rules_from_settings()
    today = clock.today()
    return [_renew_one(patron.id, raw, via, identity, rules, today, actor) for raw in barcodes]


def _renew_refusal(barcode: str, reasons: list[str], title: str = "", old_due: str | None = None) -> dict:
    return {"barcode": barcode, "ok": False, "due": old_due, "reasons": reasons, "title": title,
            "message": reasons_message(reasons)}


def _renew_one(patron_id, raw, via, identity, rules, today, actor) -> dict:
    barcode = normalize_barcode(raw)
    if not barcode:
        return _renew_refusal(raw, ["empty-barcode"])
    with models.write_tx():
        item = _find_item(barcode)
        if item is None:
            return _renew_refusal(barcode, ["unknown-item"])
        loan = models.Loan.get_or_none((models.Loan.item == item.id) & (models.Loan.patron == patron_id))
        if loan is None:
            return _renew_refusal(barcode, ["not-on-loan"], item.bib.title)
        reasons = renewal_rules.renewal_reasons(_renewal_facts(loan, today), today)
        if reasons:
            return _renew_refusal(barcode, reasons, item.bib.title, loan.due.isoformat())
        cal = calendar_for(loan.branch_id)
        new_due = renewal_rules.renewed_due(rules, cal, item.bib.material_type, today, loan.due)
        old_due = loan.due
        models.Loan.update(
            due=new_due, renewals=loan.renewals + 1, renewed_on=today, renew_channel=via,
            staff=actor.staff_id,
        ).where((models.Loan.id == loan.id) & (models.Loan.renewals == loan.renewals)).execute()
        branch = models.ServicePoint.get_by_id(loan.branch_id).code
        _count(today, branch, "renew", item.bib)
        patron = models.Patron.get_by_id(patron_id)
        detail = {"via": via, "due": new_due.isoformat()}
        if identity:
            detail["identity"] = identity
        audit(actor, "renew", "", **detail)
    return {"barcode": barcode, "ok": True, "due": new_due.isoformat(), "reasons": [],
            "title": item.bib.title, "old_due": old_due.isoformat(),
            "message": f"延長しました。新しい返却期限は{_jdate(new_due)}です。"}


def renewal_preview(card: str) -> list[dict]:
    """The patron's loans with renewable / why not, and "renewable until …, new due …"."""
    patron = get_patron(card)
    rules = loan_rules_from_settings()
    today = clock.today()
    loans = (
        models.Loan.select(models.Loan, models.Item, models.Bib)
        .join(models.Item)
        .join(models.Bib)
        .where(models.Loan.patron == patron.id)
        .order_by(models.Loan.due, models.Item.barcode)
    )
    calendars: dict[int, object] = {}
    out = []
    for loan in loans:
        cal = calendars.get(loan.branch_id) or calendars.setdefault(loan.branch_id, calendar_for(loan.branch_id))
        pv = renewal_rules.preview(_renewal_facts(loan, today), rules, cal, today)
        # A renewal today would keep the same due date and use up the one renewal for nothing.
        extends = pv.renewable and pv.new_due > loan.due
        note = "今延長しても返却期限は延びません。" if pv.renewable and not extends else ""
        out.append({
            "barcode": loan.item.barcode,
            "title": loan.item.bib.title,
            "material_type": loan.item.bib.material_type,
            "loaned_on": loan.loaned_on.isoformat(),
            "due": loan.due.isoformat(),
            "overdue": loan.due < today,
            "renewals": loan.renewals,
            "renewable": pv.renewable,
            "extends": extends,
            "reasons": pv.reasons,
            "reason_texts": pv.texts(),
            "reason_labels": [renewal_rules.RENEWAL_SHORT.get(c, c) for c in pv.reasons],
            "renewable_until": pv.renewable_until.isoformat() if pv.renewable_until else None,
            "new_due": pv.new_due.isoformat() if pv.new_due else None,
            "summary": pv.summary() + (f" {note}" if note else ""),
        })
    return out


# --- telephone identification and the overdue list ----------------------------------------------


PHONE_CANDIDATES_MAX = 20


def find_patron_for_phone(kana: str, birth: date, actor: Actor = CLI, card: str | None = None) -> dict:
    """A caller without the card: identify by kana name and birth date (recorded in the audit
    trail as the identity check method). Returns {"card","name","kana","birth_date","phone"}.

    When several patrons match, refuses ``patron-ambiguous`` with ``candidates`` (card, name,
    phone masked but for the last 4 digits) so staff can ask the caller to confirm the number
    and pick one; calling again with ``card`` (one of the candidates) identifies that patron
    (method ``kana+birth+phone``)."""
    key = kana_key(kana)
    if not key:
        raise InvalidInput("empty-kana", "氏名のフリガナを入力してください。")
    if not isinstance(birth, date):
        raise InvalidInput("invalid-date", "生年月日を YYYY-MM-DD で入力してください。")
    query = models.Patron.select().where(
        (models.Patron.kana_key == key) & (models.Patron.birth_date == birth) & (models.Patron.withdrawn == False)  # noqa: E712
    )
    if card:
        query = query.where(models.Patron.card == card)
    found = list(query.order_by(models.Patron.card).limit(PHONE_CANDIDATES_MAX + 1))
    if not found:
        raise Refused("patron-not-found", "フリガナと生年月日が一致する利用者がいません。")
    if len(found) > 1:
        count = f"{len(found)}人" if len(found) <= PHONE_CANDIDATES_MAX else f"{PHONE_CANDIDATES_MAX}人以上"
        raise Refused(
            "patron-ambiguous",
            f"該当する利用者が{count}います。電話番号の下4桁をお聞きして、一覧から選んでください。",
            candidates=[{"card": p.card, "name": p.name, "phone": mask_phone(p.phone)} for p in found[:PHONE_CANDIDATES_MAX]],
        )
    patron = found[0]
    with models.write_tx():
        audit(actor, "identity-check", patron.card, method="kana+birth+phone" if card else "kana+birth")
    return {"card": patron.card, "name": patron.name, "kana": patron.kana,
            "birth_date": patron.birth_date.isoformat(), "phone": patron.phone}


def overdue_list(at: str) -> list[dict]:
    """延滞一覧 of loans lent at ``at``, for telephoning: patron, phone, item, days late."""
    at_id = points.point_id(at)
    today = clock.today()
    rows = (
        models.Loan.select(models.Loan, models.Item, models.Bib, models.Patron)
        .join(models.Item)
        .join(models.Bib)
        .switch(models.Loan)
        .join(models.Patron)
        .where((models.Loan.branch == at_id) & (models.Loan.due < today))
        .order_by(models.Patron.card, models.Loan.due, models.Item.barcode)
    )
    return [
        {
            "card": ln.patron.card,
            "name": ln.patron.name,
            "kana": ln.patron.kana,
            "phone": ln.patron.phone,
            "has_email": bool(ln.patron.email) and ln.patron.email_ok,
            "barcode": ln.item.barcode,
            "title": ln.item.bib.title,
            "due": ln.due.isoformat(),
            "days_overdue": (today - ln.due).days,
        }
        for ln in rows
    ]

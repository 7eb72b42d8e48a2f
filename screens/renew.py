"""F6 延長: renewals at the counter and for a patron on the telephone.

Find the patron by card number, or — a caller without the card — by kana name and birth date
(recorded as how identity was checked); when several patrons share the kana and birth date, a
list of candidates (card, name, phone masked but for the last 4 digits) lets staff confirm the
caller's number and pick one (↑↓ Enter). The loans are listed with renewable / why not and the
preview (renewable until …, new due date …); staff select loans (Space), renew (Ctrl+R) and
read back the new due dates or the reasons shown in the read-back panel.
"""

from __future__ import annotations

from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from counter_app.services import Actor, ServiceError, run
from counter_app.services.circulation import find_patron_for_phone, renew, renewal_preview
from counter_app.services.patrons import patron_summary
from policies.registration import parse_birth

WEEKDAY = "月火水木金土日"


def spoken_date(iso: str | None) -> str:
    if not iso:
        return ""
    d = date.fromisoformat(iso)
    return f"{d.month}月{d.day}日（{WEEKDAY[d.weekday()]}）"


class RenewScreen(Screen):
    BINDINGS = [
        Binding("ctrl+t", "toggle_mode", "電話/カウンター"),
        Binding("space", "toggle_row", "選択", show=True),
        Binding("ctrl+s", "select_renewable", "延長可を全選択"),
        Binding("ctrl+r", "renew", "延長する"),
        Binding("ctrl+o", "overdue", "延滞一覧"),
        Binding("ctrl+f", "focus_card", "カード番号へ"),
        Binding("ctrl+g", "focus_kana", "フリガナで探す"),
    ]
    AUTO_FOCUS = "#rn-card"

    class Loaded(Message):
        def __init__(self, patron: dict | None, rows: list[dict], identity: str, error: str = "",
                     keep_readback: bool = False, candidates: list[dict] | None = None) -> None:
            self.patron, self.rows, self.identity, self.error = patron, rows, identity, error
            self.keep_readback = keep_readback
            self.candidates = candidates or []
            super().__init__()

    class Renewed(Message):
        def __init__(self, results: list[dict] | None, error: str = "") -> None:
            self.results, self.error = results, error
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.via = "counter"
        self._card: str | None = None
        self._identity = "card"
        self._rows: list[dict] = []
        self._selected: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="rn-mode")
        with Horizontal(id="rn-find"):
            yield Label("カード番号", classes="rn-label")
            yield Input(id="rn-card", placeholder="7桁", max_length=20)
            yield Label("フリガナ", classes="rn-label")
            yield Input(id="rn-kana", placeholder="例: キツキ ハナコ")
            yield Label("生年月日", classes="rn-label")
            yield Input(id="rn-birth", placeholder="1985-06-12", max_length=12)
        yield Static("カード番号を入力するか、電話の方はフリガナと生年月日で探してください。", id="rn-patron", classes="panel")
        cands = DataTable(id="rn-cands", cursor_type="row", zebra_stripes=True)
        cands.add_column("カード番号", width=10, key="card")
        cands.add_column("氏名", width=24, key="name")
        cands.add_column("電話番号（下4桁）", width=18, key="phone")
        yield cands
        table = DataTable(id="rn-loans", cursor_type="row", zebra_stripes=True)
        # Widths + 2 cells of padding per column stay within 120 columns.
        table.add_column("選", width=2, key="sel")
        table.add_column("バーコード", width=10, key="barcode")
        table.add_column("書名", width=28, key="title")
        table.add_column("返却期限", width=10, key="due")
        table.add_column("延長", width=4, key="ok")
        table.add_column("延長後の期限／延長できない理由", width=42, key="why")
        yield table
        yield Static("", id="rn-detail")
        yield Static("", id="rn-readback", classes="panel")
        yield Footer()

    def on_mount(self) -> None:
        self._show_mode()

    def _show_mode(self) -> None:
        label = "[b]電話受付[/b]（カードがない方はフリガナ＋生年月日で本人確認）" if self.via == "phone" else "[b]カウンター受付[/b]"
        self.query_one("#rn-mode", Static).update(f"受付方法: {label}　Ctrl+T で切替")

    def _actor(self) -> Actor:
        staff = self.app.staff
        return Actor(staff.id if staff else None, self.via, staff.name if staff else "")

    # --- finding the patron ------------------------------------------------------------------

    @on(Input.Submitted, "#rn-card")
    def _by_card(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            return
        self.query_one("#rn-patron", Static).update("検索中…")
        self._load(card=event.value, identity="card")

    @on(Input.Submitted, "#rn-kana")
    def _kana_done(self) -> None:
        self.query_one("#rn-birth", Input).focus()

    @on(Input.Submitted, "#rn-birth")
    def _by_kana(self) -> None:
        kana = self.query_one("#rn-kana", Input).value
        birth = parse_birth(self.query_one("#rn-birth", Input).value)
        box = self.query_one("#rn-patron", Static)
        if not kana.strip():
            box.update("[red]フリガナを入力してください。[/red]")
            self.query_one("#rn-kana", Input).focus()
            return
        if birth is None:
            box.update("[red]生年月日は 1985-06-12 や 19850612 の形で入力してください。[/red]")
            return
        box.update("検索中…")
        self._load(kana=kana, birth=birth, identity="kana+birth")

    @work(thread=True, exclusive=True, group="rn-load")
    def _load(self, card: str = "", kana: str = "", birth: date | None = None, identity: str = "card",
              keep_readback: bool = False, pick: str | None = None) -> None:
        try:
            if not card:
                card = run(find_patron_for_phone, kana, birth, self._actor(), pick)["card"]
            patron = run(patron_summary, card)
            rows = run(renewal_preview, card)
            message = self.Loaded(patron, rows, identity, keep_readback=keep_readback)
        except ServiceError as exc:
            message = self.Loaded(None, [], identity, exc.message, keep_readback, exc.extra.get("candidates"))
        except Exception as exc:
            message = self.Loaded(None, [], identity, f"読み込めませんでした（{type(exc).__name__}）。", keep_readback)
        self.post_message(message)

    def on_renew_screen_loaded(self, message: Loaded) -> None:
        box = self.query_one("#rn-patron", Static)
        if not message.keep_readback:
            self.query_one("#rn-readback", Static).update("")
        self._show_candidates(message.candidates)
        if message.patron is None:
            box.update(f"[red]{message.error}[/red]")
            if message.candidates:
                self.query_one("#rn-cands", DataTable).focus()
            return
        p = message.patron
        if self._card != p["card"]:
            self._selected.clear()
        self._card, self._identity, self._rows = p["card"], message.identity, message.rows
        how = {"kana+birth": "フリガナ＋生年月日で確認",
               "kana+birth+phone": "フリガナ＋生年月日＋電話番号で確認"}.get(message.identity, "カード番号")
        renewable = sum(1 for r in message.rows if r["renewable"])
        box.update(
            f"[b]{p['name']}[/b]（{p['kana']}）　カード {p['card']}　本人確認: {how}\n"
            f"貸出中 {len(message.rows)} 点のうち延長できるもの {renewable} 点"
            + ("　[red]延滞中の資料があります[/red]" if any(r["overdue"] for r in message.rows) else "")
        )
        self._fill()
        table = self.query_one("#rn-loans", DataTable)
        if message.rows:
            table.focus()

    def _show_candidates(self, candidates: list[dict]) -> None:
        """Several patrons with this kana and birth date: list them to choose from."""
        table = self.query_one("#rn-cands", DataTable)
        table.clear()
        for c in candidates:
            table.add_row(c["card"], c["name"], c["phone"] or "（登録なし）", key=c["card"])
        table.display = bool(candidates)

    @on(DataTable.RowSelected, "#rn-cands")
    def _candidate_chosen(self, event: DataTable.RowSelected) -> None:
        card = getattr(event.row_key, "value", None)
        birth = parse_birth(self.query_one("#rn-birth", Input).value)
        if not card or birth is None:
            return
        self.query_one("#rn-patron", Static).update("検索中…")
        self._load(kana=self.query_one("#rn-kana", Input).value, birth=birth, identity="kana+birth+phone", pick=card)

    def _fill(self) -> None:
        table = self.query_one("#rn-loans", DataTable)
        cursor = table.cursor_row
        table.clear()
        for r in self._rows:
            if r["renewable"] and not r["extends"]:
                ok, why = "[yellow]可[/yellow]", "[yellow]※今延長しても期限は延びません[/yellow]"
            elif r["renewable"]:
                ok = "[green]可[/green]"
                why = f"新期限 {r['new_due']}（{r['renewable_until'][5:]}まで可）"
            else:
                ok, why = "[red]不可[/red]", "／".join(r["reason_labels"])
            mark = "✓" if r["barcode"] in self._selected else ""
            due = f"[red]{r['due']}[/red]" if r["overdue"] else r["due"]
            table.add_row(mark, r["barcode"], r["title"], due, ok, why, key=r["barcode"])
        if self._rows:
            table.move_cursor(row=min(max(cursor, 0), len(self._rows) - 1))

    # --- selecting and renewing --------------------------------------------------------------

    def _cursor_barcode(self) -> str | None:
        table = self.query_one("#rn-loans", DataTable)
        if not self._rows or table.cursor_row < 0 or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row]["barcode"]

    def action_toggle_row(self) -> None:
        barcode = self._cursor_barcode()
        if barcode is None:
            return
        self._selected.symmetric_difference_update({barcode})
        self.query_one("#rn-loans", DataTable).update_cell(barcode, "sel", "✓" if barcode in self._selected else "")

    @on(DataTable.RowSelected, "#rn-loans")
    def _row_enter(self) -> None:
        self.action_toggle_row()

    @on(DataTable.RowHighlighted, "#rn-loans")
    def _row_detail(self, event: DataTable.RowHighlighted) -> None:
        row = next((r for r in self._rows if r["barcode"] == getattr(event.row_key, "value", None)), None)
        self.query_one("#rn-detail", Static).update(f"『{row['title']}』 {row['summary']}" if row else "")

    def action_select_renewable(self) -> None:
        """Every loan a renewal would extend; one renewed today to the same due date is left out
        (it would use up the one renewal for nothing) but can still be chosen with Space."""
        self._selected = {r["barcode"] for r in self._rows if r["renewable"] and r["extends"]}
        same = sum(1 for r in self._rows if r["renewable"] and not r["extends"])
        if same:
            self.notify(f"今延長しても期限が延びない資料 {same} 点は選んでいません。", severity="warning")
        self._fill()

    def action_renew(self) -> None:
        if not self._card:
            self.notify("先に利用者を探してください。", severity="warning")
            return
        barcodes = [r["barcode"] for r in self._rows if r["barcode"] in self._selected]
        if not barcodes:
            current = self._cursor_barcode()
            barcodes = [current] if current else []
        if not barcodes:
            self.notify("延長する資料を選んでください（Space で選択）。", severity="warning")
            return
        self.query_one("#rn-readback", Static).update("延長しています…")
        self._renew(self._card, barcodes, self.via, self._identity, self._actor())

    @work(thread=True, exclusive=True, group="rn-renew")
    def _renew(self, card: str, barcodes: list[str], via: str, identity: str, actor: Actor) -> None:
        try:
            self.post_message(self.Renewed(run(renew, card, barcodes, via, actor, identity)))
        except ServiceError as exc:
            self.post_message(self.Renewed(None, exc.message))
        except Exception as exc:
            self.post_message(self.Renewed(None, f"延長できませんでした（{type(exc).__name__}）。"))

    def on_renew_screen_renewed(self, message: Renewed) -> None:
        panel = self.query_one("#rn-readback", Static)
        if message.results is None:
            panel.update(f"[red]{message.error}[/red]")
            return
        lines = ["[b]読み上げ[/b]"]
        for r in message.results:
            title = r.get("title") or r["barcode"]
            if r["ok"]:
                lines.append(f"・『{title}』は延長しました。新しい返却期限は {spoken_date(r['due'])} です。")
            else:
                lines.append(f"・『{title}』は延長できません。{r['message']}")
        panel.update("\n".join(lines))
        self._selected.clear()
        self._load(card=self._card, identity=self._identity, keep_readback=True)

    # --- other keys --------------------------------------------------------------------------

    def action_toggle_mode(self) -> None:
        self.via = "phone" if self.via == "counter" else "counter"
        self._show_mode()

    def action_overdue(self) -> None:
        from screens.overdue import OverdueScreen

        self.app.push_screen(OverdueScreen(self.app.point))

    def action_focus_card(self) -> None:
        self.query_one("#rn-card", Input).focus()

    def action_focus_kana(self) -> None:
        self.query_one("#rn-kana", Input).focus()

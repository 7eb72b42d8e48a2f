"""F2 利用者: card number → the patron's details, loans and reservations."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from counter_app.services import ServiceError, run
from counter_app.services.patrons import patron_summary
from counter_app.services.points import point_name
from screens.labels import HOLD_STATUS, WEB_STATUS


class PatronScreen(Screen):
    BINDINGS = [Binding("ctrl+f", "focus_card", "カード番号へ")]
    AUTO_FOCUS = "#card"

    class Loaded(Message):
        def __init__(self, info: dict | None, error: str = "") -> None:
            self.info, self.error = info, error
            super().__init__()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="card-row"):
            yield Label("利用者カード番号", classes="field-label")
            yield Input(id="card", placeholder="7桁（全角・ハイフン可）", max_length=20)
        yield Static("カード番号を入力して Enter を押してください。", id="patron-info", classes="panel")
        with Vertical(id="patron-lists"):
            yield Static("[b]貸出中[/b]", classes="panel-title")
            loans = DataTable(id="loans", cursor_type="row", zebra_stripes=True)
            loans.add_columns("バーコード", "書名", "貸出日", "返却期限", "延長", "")
            yield loans
            yield Static("[b]予約[/b]", classes="panel-title")
            holds = DataTable(id="holds", cursor_type="row", zebra_stripes=True)
            holds.add_columns("予約番号", "書名", "状態", "順位", "受取館", "取置期限")
            yield holds
        yield Footer()

    @on(Input.Submitted, "#card")
    def _lookup(self, event: Input.Submitted) -> None:
        self.query_one("#patron-info", Static).update("検索中…")
        self._load(event.value)

    @work(thread=True, exclusive=True)
    def _load(self, card: str) -> None:
        try:
            self.post_message(self.Loaded(run(patron_summary, card)))
        except ServiceError as exc:
            self.post_message(self.Loaded(None, exc.message))
        except Exception as exc:
            self.post_message(self.Loaded(None, f"読み込めませんでした（{type(exc).__name__}）。"))

    def show(self, card: str) -> None:
        """Open a patron by card number (used by other screens)."""
        self.query_one("#card", Input).value = card
        self._load(card)

    def on_patron_screen_loaded(self, message: Loaded) -> None:
        info_box = self.query_one("#patron-info", Static)
        loans = self.query_one("#loans", DataTable)
        holds = self.query_one("#holds", DataTable)
        loans.clear()
        holds.clear()
        if message.info is None:
            info_box.update(f"[red]{message.error}[/red]")
            self.query_one("#card", Input).focus()
            return
        p = message.info
        web = p["web"]
        web_line = WEB_STATUS.get(web["status"], web["status"])
        if web["status"] == "temporary" and web["expires"]:
            web_line += f"（有効期限 {web['expires']}）"
        mail = web["email"] or "未登録"
        last = f"　最終ログイン {web['last_login']}" if web.get("last_login") else ""
        lines = [
            f"[b]{p['name']}[/b]（{p['kana']}）　カード {p['card']}",
            f"生年月日 {p['birth_date']}　電話 {p['phone'] or '—'}",
            f"WEBサービス: {web_line}　メール: {mail}{last}",
        ]
        if p["blocked"]:
            lines.append("[red]貸出停止中[/red]")
        overdue = sum(1 for ln in p["loans"] if ln["overdue"])
        lines.append(f"貸出 {len(p['loans'])} 点" + (f"（[red]延滞 {overdue} 点[/red]）" if overdue else "") + f"　予約 {len(p['holds'])} 件")
        info_box.update("\n".join(lines))
        for ln in p["loans"]:
            loans.add_row(ln["barcode"], ln["title"], ln["loaned_on"], ln["due"], str(ln["renewals"]), "延滞" if ln["overdue"] else "")
        for h in p["holds"]:
            holds.add_row(
                str(h["id"]), h["title"], HOLD_STATUS.get(h["status"], h["status"]),
                str(h["position"] or ""), point_name(h["pickup"]), h["deadline"] or "",
            )

    def action_focus_card(self) -> None:
        self.query_one("#card", Input).focus()

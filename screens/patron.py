"""F2 利用者: card number → the patron's details, loans and reservations, and the web account
(status; Ctrl+R registers or reissues a temporary password after an ID check, Ctrl+L unlocks,
Ctrl+N makes a new patron and card)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from counter_app.services import ServiceError, run, web_accounts
from counter_app.services.patrons import patron_summary
from counter_app.services.points import point_name
from policies.idnumber import looks_like_id_number
from policies.registration import ID_TYPES
from screens.labels import HOLD_STATUS, WEB_STATUS
from screens.webreg import (
    ConfirmScreen, IdTypeScreen, NewPatronScreen, PasswordScreen, RefusalScreen, counter_actor,
)


class PatronScreen(Screen):
    BINDINGS = [
        Binding("ctrl+f", "focus_card", "カード番号へ"),
        Binding("ctrl+n", "new_patron", "新規利用者"),
        Binding("ctrl+r", "web_password", "WEB登録・再発行"),
        Binding("ctrl+l", "web_unlock", "ロック解除"),
    ]
    AUTO_FOCUS = "#card"
    _current: dict | None = None

    class WebDone(Message):
        """A web-account action finished: the issued password (once), or a refusal."""

        def __init__(self, card: str, issued=None, error: ServiceError | None = None, note: str = "") -> None:
            self.card, self.issued, self.error, self.note = card, issued, error, note
            super().__init__()

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
        if looks_like_id_number(event.value):
            event.input.value = ""
            self._current = None
            self.query_one("#patron-info", Static).update(
                "[red]利用者カード番号は7桁です。12桁以上の数字（個人番号など）は入力できません。[/red]"
            )
            return
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
        self._current = message.info
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
        if web["status"] == "locked":
            web_line += "（Ctrl+L でロック解除）"
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

    # --- web account (WEBサービス) ----------------------------------------------------------

    def action_new_patron(self) -> None:
        def created(card: str | None) -> None:
            if card:
                self.app.notify(f"利用者カード {card} を作成しました。", title="新規利用者")
                self.show(card)

        self.app.push_screen(NewPatronScreen(), created)

    def action_web_password(self) -> None:
        p = self._current
        if p is None:
            self.app.notify("先に利用者カード番号を入力してください。", severity="warning")
            return
        reissue = p["web"]["status"] != "none"
        card, name = p["card"], p["name"]
        heading = "仮パスワードの再発行: 本人確認" if reissue else "WEBサービス利用登録: 本人確認"

        def picked(id_type: str | None) -> None:
            if not id_type:
                return
            if reissue:
                body = (f"{name}（カード {card}）の仮パスワードを再発行します。\n本人確認書類: {ID_TYPES[id_type]}\n"
                        "今のパスワードとログイン中のWEBセッションは使えなくなります。")
            else:
                body = f"{name}（カード {card}）をWEBサービスに登録します。\n本人確認書類: {ID_TYPES[id_type]}"

            def answered(yes: bool | None) -> None:
                if yes:
                    self._web_register(card, id_type, reissue)

            self.app.push_screen(ConfirmScreen("確認", body), answered)

        self.app.push_screen(IdTypeScreen(heading), picked)

    @work(thread=True, exclusive=True, group="web")
    def _web_register(self, card: str, id_type: str, reissue: bool) -> None:
        try:
            issued = run(web_accounts.register, card, id_type, counter_actor(self.app), reissue)
            self.post_message(self.WebDone(card, issued=issued))
        except ServiceError as exc:
            self.post_message(self.WebDone(card, error=exc))
        except Exception as exc:
            self.post_message(self.WebDone(card, note=f"処理できませんでした（{type(exc).__name__}）。"))

    def action_web_unlock(self) -> None:
        p = self._current
        if p is None:
            self.app.notify("先に利用者カード番号を入力してください。", severity="warning")
            return
        if p["web"]["status"] != "locked":
            self.app.notify("このWEBアカウントはロックされていません。", severity="warning")
            return
        card = p["card"]

        def answered(yes: bool | None) -> None:
            if yes:
                self._web_unlock(card)

        self.app.push_screen(ConfirmScreen("WEBロック解除", f"{p['name']}（カード {card}）のロックを解除します。"), answered)

    @work(thread=True, exclusive=True, group="web")
    def _web_unlock(self, card: str) -> None:
        try:
            run(web_accounts.unlock, card, counter_actor(self.app))
            self.post_message(self.WebDone(card, note="ロックを解除しました。"))
        except ServiceError as exc:
            self.post_message(self.WebDone(card, error=exc))
        except Exception as exc:
            self.post_message(self.WebDone(card, note=f"処理できませんでした（{type(exc).__name__}）。"))

    def on_patron_screen_web_done(self, message: WebDone) -> None:
        if message.error is not None:
            exc = message.error
            self.app.push_screen(RefusalScreen(exc.message, exc.reasons, exc.extra.get("eligible_from")))
        elif message.issued is not None:
            self.app.push_screen(PasswordScreen(message.issued), lambda _=None: self.show(message.card))
            return
        elif message.note:
            self.app.notify(message.note, title="WEBサービス")
        self.show(message.card)

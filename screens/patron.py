"""F2 利用者: card number → the patron's details, loans and reservations, and the web account
(status; Ctrl+R registers or reissues a temporary password after an ID check, Ctrl+L unlocks,
Ctrl+N makes a new patron and card). Ctrl+D on the reservation list cancels the chosen
reservation at the patron's request (予約取消) after a confirmation."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from counter_app.services import ServiceError, run, web_accounts
from counter_app.services.holds import cancel_hold
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
        Binding("ctrl+d", "cancel_hold", "予約取消"),
    ]
    AUTO_FOCUS = "#card"
    _current: dict | None = None

    class WebDone(Message):
        """A web-account action finished: the issued password (once), or a refusal."""

        def __init__(self, card: str, issued=None, error: ServiceError | None = None, note: str = "") -> None:
            self.card, self.issued, self.error, self.note = card, issued, error, note
            super().__init__()

    class HoldCancelled(Message):
        """A counter cancellation finished: the text to show, or a refusal."""

        def __init__(self, card: str, text: str, error: bool = False) -> None:
            self.card, self.text, self.error = card, text, error
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
        if p["holds"]:
            lines.append("[dim]予約の取消: Tab で予約一覧へ移り、行を選んで Ctrl+D[/dim]")
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

    # --- 予約取消 (the patron's request at the counter) ------------------------------------------

    def action_cancel_hold(self) -> None:
        p = self._current
        table = self.query_one("#holds", DataTable)
        if p is None or not p["holds"]:
            self.app.notify("取り消せる予約がありません。", severity="warning")
            return
        if self.focused is not table or table.row_count == 0:
            self.app.notify("予約一覧（Tab で移動）で取り消す予約を選んでから Ctrl+D を押してください。", severity="warning")
            return
        hold_id = str(table.get_row_at(table.cursor_row)[0])
        hold = next((h for h in p["holds"] if str(h["id"]) == hold_id), None)
        if hold is None:
            return
        card = p["card"]

        def answered(yes: bool | None) -> None:
            if yes:
                self._cancel_hold(card, hold)

        self.app.push_screen(CancelHoldScreen(p["name"], hold), answered)

    @work(thread=True, exclusive=True, group="hold")
    def _cancel_hold(self, card: str, hold: dict) -> None:
        try:
            result = run(cancel_hold, hold["id"], counter_actor(self.app))
            self.post_message(self.HoldCancelled(card, cancel_text(hold, result)))
        except ServiceError as exc:
            self.post_message(self.HoldCancelled(card, exc.message, error=True))
        except Exception as exc:
            self.post_message(self.HoldCancelled(card, f"取り消せませんでした（{type(exc).__name__}）。", error=True))

    def on_patron_screen_hold_cancelled(self, message: HoldCancelled) -> None:
        if message.error:
            self.app.notify(message.text, title="予約取消できません", severity="error", timeout=10)
        else:
            self.app.notify(message.text, title="予約取消", timeout=10)
        self.show(message.card)
        self.query_one("#holds", DataTable).focus()

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


def cancel_text(hold: dict, result: dict) -> str:
    """The counter's words for a cancellation result: what happened and where the copy goes."""
    text = f"予約番号 {hold['id']}「{hold['title']}」を取り消しました。"
    barcode, route = result.get("barcode"), result.get("route")
    if not barcode:
        return text
    if route == "hold-shelf":
        where = "次の予約の資料として、この館の取置棚に置いてください"
    elif route and route.startswith("transit:"):
        where = f"{point_name(route.split(':', 1)[1])}へ回送してください"
        if result.get("slip") == "printed":
            where += "（回送票を印刷しました）"
        elif result.get("slip"):
            where += f"（回送票: {result['slip']}）"
    elif route == "shelf":
        where = "書架に戻してください"
    elif route == "in-transit":
        where = "回送中です。到着した館で行き先が決まります"
    elif route == "on-loan":
        where = "貸出中です"
    else:
        where = f"行き先: {route}"
    return f"{text}\n資料 {barcode} は{where}。"


class CancelHoldScreen(ModalScreen[bool]):
    """予約取消の確認: Enter/Y = 取り消す, Esc/N = やめる."""

    BINDINGS = [
        Binding("enter,y", "answer(True)", "取り消す（Enter）"),
        Binding("escape,n", "answer(False)", "やめる（Esc）"),
    ]

    def __init__(self, name: str, hold: dict) -> None:
        super().__init__()
        self.patron_name, self.hold = name, hold

    def compose(self) -> ComposeResult:
        h = self.hold
        lines = [
            f"利用者: {self.patron_name}",
            f"予約番号: {h['id']}",
            f"書名: [b]{h['title']}[/b]",
            f"状態: {HOLD_STATUS.get(h['status'], h['status'])}"
            + (f"（順位 {h['position']} 番目）" if h.get("position") else ""),
            f"受取館: {point_name(h['pickup'])}",
        ]
        if h.get("deadline"):
            lines.append(f"取置期限: {h['deadline']}")
        with Vertical(classes="dialog", id="cancel-hold-box"):
            yield Static("[b]この予約を取り消しますか？[/b]", classes="panel-title")
            yield Static("\n".join(lines), id="cancel-hold-body")
            yield Static("Enter / Y: 取り消す　　Esc / N: やめる", classes="hint")
        yield Footer()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

"""F10 通知: e-mail notices waiting, failed and recently sent; "send now"; resend a failed
notice (to a corrected address if need be); the call list of patrons whose address bounced,
where staff can register the working address the patron gives on the phone."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Static, TabbedContent, TabPane

from counter_app.services import Actor, ServiceError, run
from counter_app.services import mailer, notices

REFRESH_SECONDS = 15


def _when(value) -> str:
    return value.strftime("%m/%d %H:%M") if value else ""


class AddressDialog(ModalScreen[tuple[str, bool] | None]):
    """Ask for an e-mail address. The library's rules are checked as staff type Enter:
    malformed → message; free-mail → a warning and a second Enter to confirm; mobile → the
    note about allowing the sending address. Returns (address, free-mail confirmed)."""

    BINDINGS = [Binding("escape", "cancel", "取消")]

    def __init__(self, title: str, value: str = "", confirm_freemail: bool = True) -> None:
        super().__init__()
        self._title, self._value, self._confirm = title, value, confirm_freemail
        self._confirmed_for: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="address-box"):
            yield Static(self._title, id="address-title")
            yield Input(value=self._value, id="address", placeholder="例: hanako@example.jp")
            yield Static("", id="address-note", classes="error")
            yield Static("Enter で決定　Esc で取消", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#address", Input).focus()

    @on(Input.Submitted, "#address")
    def _submit(self, event: Input.Submitted) -> None:
        note = self.query_one("#address-note", Static)
        check = notices.check_address(event.value)
        if check.address is None:
            if check.reason == "looks-like-id-number":
                event.input.value = ""  # a possible My Number never stays on screen
                self._confirmed_for = None
            note.update(check.message)
            return
        if check.freemail and self._confirm and self._confirmed_for != check.address:
            self._confirmed_for = check.address
            note.update(check.notes[0] + "\n利用者が了承していれば、もう一度 Enter を押してください。")
            return
        if check.mobile and self._confirmed_for != check.address and not check.freemail:
            self._confirmed_for = check.address
            note.update(check.notes[-1] + "\n伝えたら、もう一度 Enter を押してください。")
            return
        self.dismiss((check.address, check.freemail))

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoticesScreen(Screen):
    BINDINGS = [
        Binding("s", "send_now", "今すぐ送信"),
        Binding("r", "resend", "再送"),
        Binding("e", "edit_resend", "宛先修正して再送"),
        Binding("m", "set_email", "アドレス登録"),
        Binding("u", "reload", "更新"),
        Binding("1", "tab('pending')", "送信待ち", show=False),
        Binding("2", "tab('failed')", "失敗", show=False),
        Binding("3", "tab('sent')", "送信済", show=False),
        Binding("4", "tab('calls')", "要連絡", show=False),
    ]

    class Loaded(Message):
        def __init__(self, data: dict | None, error: str = "") -> None:
            self.data, self.error = data, error
            super().__init__()

    class Done(Message):
        """A send pass / retry / address change finished (text for the status line)."""

        def __init__(self, text: str, ok: bool = True) -> None:
            self.text, self.ok = text, ok
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._data: dict = {"pending": [], "failed": [], "sent": [], "call_list": []}
        self._busy = False
        self._opened = False  # the first load picks the tab to open on …
        self._tabs_ready = False  # … once the tabs have activated their initial tab
        self._open_on: str | None = None
        self._hint_for: tuple | None = None  # the selection a "choose a row" hint was about

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("読み込み中…", id="notice-counts")
        with TabbedContent(id="notice-tabs", initial="tab-pending"):
            for key, label in (("pending", "1 送信待ち"), ("failed", "2 送信失敗"), ("sent", "3 最近の送信"), ("calls", "4 要連絡（宛先不通）")):
                with TabPane(label, id=f"tab-{key}"):
                    table = DataTable(id=f"table-{key}", cursor_type="row", zebra_stripes=True)
                    if key == "calls":
                        table.add_columns("カード", "氏名", "電話", "不通のアドレス", "止まっている通知", "理由")
                    else:
                        table.add_columns("番号", "種類", "カード", "氏名", "宛先", "試行", "日時", "状況")
                    yield table
        yield Static("", id="notice-detail", classes="panel")
        yield Static("", id="notice-status")
        yield Footer()

    def on_mount(self) -> None:
        self._reload()
        self._timer = self.set_interval(REFRESH_SECONDS, self._reload)  # a sender may run elsewhere

    def on_screen_resume(self) -> None:
        self._reload()
        if getattr(self, "_timer", None) is not None:
            self._timer.resume()

    def on_screen_suspend(self) -> None:
        if getattr(self, "_timer", None) is not None:
            self._timer.pause()

    # --- loading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="notices-load")
    def _reload(self) -> None:
        try:
            self.post_message(self.Loaded(run(notices.overview)))
        except ServiceError as exc:
            self.post_message(self.Loaded(None, exc.message))
        except Exception as exc:
            self.post_message(self.Loaded(None, f"読み込めませんでした（{type(exc).__name__}）。"))

    def on_notices_screen_loaded(self, message: Loaded) -> None:
        if message.data is None:
            self._status(message.error, ok=False)
            return
        self._data = message.data
        d = message.data
        if not self._opened:
            # Open on 送信待ち, or on the first list that has something in it.
            self._opened = True
            lists = (("pending", d["pending"]), ("failed", d["failed"]), ("sent", d["sent"]), ("calls", d["call_list"]))
            self._open_on = next((k for k, rows in lists if rows), "pending")
            if self._tabs_ready and self._open_on != self._tab():
                self.action_tab(self._open_on)
        self.query_one("#notice-counts", Static).update(
            f"送信待ち {len(d['pending'])} 件　送信失敗 {len(d['failed'])} 件　"
            f"最近2日の送信 {len(d['sent'])} 件　要連絡の利用者 {len(d['call_list'])} 人"
        )
        for key in ("pending", "failed", "sent"):
            table = self.query_one(f"#table-{key}", DataTable)
            keep = table.cursor_row
            table.clear()
            for n in d[key]:
                when = _when(n["sent_at"]) if key == "sent" else _when(n["next_attempt_at"] if key == "pending" else n["created_at"])
                state = n["status_ja"] if key != "failed" else (n["last_error"] or n["status_ja"])[:40]
                table.add_row(str(n["id"]), n["kind_ja"], n["card"], n["name"], n["to"], str(n["attempts"]), when, state, key=str(n["id"]))
            if table.row_count:
                table.move_cursor(row=min(keep, table.row_count - 1))
        calls = self.query_one("#table-calls", DataTable)
        calls.clear()
        for c in d["call_list"]:
            calls.add_row(c["card"], c["name"], c["phone"] or "—", c["email"], f"{c['failed_notices']} 件", c["error"][:40], key=c["card"])
        self._show_detail()

    # --- selection ----------------------------------------------------------------------------

    def _tab(self) -> str:
        return self.query_one("#notice-tabs", TabbedContent).active.removeprefix("tab-")

    def _selected(self) -> dict | None:
        tab = self._tab()
        table = self.query_one(f"#table-{tab}", DataTable)
        if not table.row_count:
            return None
        rows = self._data["call_list"] if tab == "calls" else self._data[tab]
        row = table.cursor_row
        return rows[row] if 0 <= row < len(rows) else None

    def _selection(self) -> tuple:
        item = self._selected()
        return (self._tab(), item and (item.get("id") or item.get("card")))

    def _drop_stale_hint(self) -> None:
        """A "choose a row in …" hint is cleared once another row or tab is chosen."""
        if self._hint_for is not None and self._selection() != self._hint_for:
            self._hint_for = None
            self._status("")

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self._drop_stale_hint()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        if not self._tabs_ready:
            # The tabs' own start-up activation: switching before it would be undone by it.
            self._tabs_ready = True
            if self._open_on and self._open_on != self._tab():
                self.action_tab(self._open_on)
                return
        self.query_one(f"#table-{self._tab()}", DataTable).focus()
        self._show_detail()
        self._drop_stale_hint()

    def _show_detail(self) -> None:
        box = self.query_one("#notice-detail", Static)
        item = self._selected()
        if item is None:
            box.update("（選択中の行はありません）")
            return
        if self._tab() == "calls":
            box.update(
                f"[b]{item['name']}[/b]　カード {item['card']}　電話 {item['phone'] or '—'}\n"
                f"不通のアドレス: {item['email']}（{item['error'] or '受け取り拒否'}）\n"
                "電話で連絡し、使えるアドレスを聞いたら M で登録します（変更完了のお知らせが送られます）。"
            )
            return
        lines = [
            f"[b]{item['subject']}[/b]",
            f"通知 {item['id']}　{item['kind_ja']}　宛先 {item['to']}　{item['status_ja']}　試行 {item['attempts']} 回",
        ]
        if item["last_error"]:
            lines.append(f"[red]{item['last_error']}[/red]")
        if self._tab() == "failed":
            if item.get("to_registered"):
                lines.append(
                    "R で同じ宛先に再送、E で宛先を修正して再送します。\n"
                    "この宛先は利用者の登録アドレスです。E で直すと登録アドレスも同じアドレスに変更し、変更完了のお知らせを送ります。"
                )
            else:
                lines.append("R で同じ宛先に再送、E で宛先を修正して再送します（この通知の宛先だけが変わります）。")
        box.update("\n".join(lines))

    def _status(self, text: str, ok: bool = True) -> None:
        self._hint_for = None
        self.query_one("#notice-status", Static).update(text if ok else f"[red]{text}[/red]")

    def _hint(self, text: str) -> None:
        """Tell staff where to choose a row; cleared when they choose another row or tab."""
        self._status(text, ok=False)
        self._hint_for = self._selection()

    def _actor(self) -> Actor:
        staff = getattr(self.app, "staff", None)
        return Actor(staff.id if staff else None, "counter", staff.name if staff else "")

    # --- actions ------------------------------------------------------------------------------

    def action_tab(self, key: str) -> None:
        self.query_one("#notice-tabs", TabbedContent).active = f"tab-{key}"

    def action_reload(self) -> None:
        self._reload()

    def action_send_now(self) -> None:
        if self._busy:
            return
        self._busy = True
        self._status("送信中…")
        self._work(None, None)

    def action_resend(self) -> None:
        item = self._selected()
        if self._tab() != "failed" or item is None:
            self._hint("「2 送信失敗」の一覧で再送する通知を選んでください。")
            return
        if not self._busy:
            self._busy = True
            self._status(f"通知 {item['id']} を再送しています…")
            self._work(item["id"], None)

    def action_edit_resend(self) -> None:
        item = self._selected()
        if self._tab() != "failed" or item is None:
            self._hint("「2 送信失敗」の一覧で宛先を直す通知を選んでください。")
            return

        def done(result: tuple[str, bool] | None) -> None:
            if result is not None and not self._busy:
                self._busy = True
                self._status(f"通知 {item['id']} を {result[0]} に再送しています…")
                self._work(item["id"], result[0], result[1])

        registered = bool(item.get("to_registered"))
        title = f"通知 {item['id']} の宛先（{item['name']} 様）"
        if registered:
            title += "\n利用者の登録アドレスも同じアドレスに変更します（変更完了のお知らせを送ります）。"
        self.app.push_screen(AddressDialog(title, item["to"], confirm_freemail=registered), done)

    def action_set_email(self) -> None:
        item = self._selected()
        if self._tab() != "calls" or item is None:
            self._hint("「4 要連絡」の一覧で利用者を選んでください。")
            return

        def done(result: tuple[str, bool] | None) -> None:
            if result is not None and not self._busy:
                self._status("登録しています…")
                self._set_email(item["card"], result[0], result[1])

        self.app.push_screen(AddressDialog(f"{item['name']} 様（カード {item['card']}）の新しいメールアドレス"), done)

    # --- workers ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="notices-send")
    def _work(self, notice_id: int | None, address: str | None, freemail_ok: bool = False) -> None:
        """Retry one notice (optionally to a new address, which may change the patron's
        registered address too), then a send pass that ignores the backoff — the command
        line's ``notices send --all``."""
        try:
            lines = []
            if notice_id is not None:
                result = run(notices.retry_notice, notice_id, address, self._actor(), freemail_ok)
                if result["patron_email_changed"]:
                    lines.append(result["message"])
            report = run(mailer.send_pass, True)
            lines.append(mailer.PassReport(**{k: v for k, v in report.items() if k != "ok"}).summary())
            self.post_message(self.Done("\n".join(lines), ok=report["ok"]))
        except ServiceError as exc:
            self.post_message(self.Done(exc.message, ok=False))
        except Exception as exc:
            self.post_message(self.Done(f"送信できませんでした（{type(exc).__name__}: {exc}）。", ok=False))
        finally:
            self._busy = False

    @work(thread=True, exclusive=True, group="notices-send")
    def _set_email(self, card: str, address: str, freemail_ok: bool) -> None:
        try:
            result = run(notices.set_email, card, address, self._actor(), freemail_ok)
            notes = [n for w, n in zip(result["warnings"], result["notes"]) if w != "freemail"]  # confirmed already
            self.post_message(self.Done("\n".join([result["message"], *notes])))
        except ServiceError as exc:
            self.post_message(self.Done(exc.message, ok=False))
        except Exception as exc:
            self.post_message(self.Done(f"登録できませんでした（{type(exc).__name__}）。", ok=False))

    def on_notices_screen_done(self, message: Done) -> None:
        self._status(message.text, ok=message.ok)
        self._reload()

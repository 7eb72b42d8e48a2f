"""F7 予約: a telephone or counter reservation taken by staff for a patron.

Card → patron (contact by e-mail when a working address is registered, else telephone) →
catalogue search → title (DVD/CD and borrowed titles show why and offer no reserve action;
a series volume shows the separate-reservation note) → pickup point, mail yes/no, phone or
counter → Ctrl+R confirmation → the queue position is read back."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Static,
)

from counter_app.services import Actor, ServiceError, run
from counter_app.services import holds as holds_service
from counter_app.services.points import all_points, point_name
from counter_app.services.search import search
from screens.labels import material

PAGE = 50


class ConfirmReserve(ModalScreen[bool]):
    """The confirmation step: read the request back to the patron before it exists."""

    BINDINGS = [
        Binding("enter,y", "yes", "予約する"),
        Binding("escape,n", "no", "戻る"),
    ]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="reserve-confirm"):
            yield Static("[b]予約内容の確認[/b]", classes="panel-title")
            yield Static("\n".join(self.lines), id="confirm-lines")
            yield Static("Enter または Y: 予約する　　Esc または N: 戻って直す", classes="hint")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class ReserveScreen(Screen):
    BINDINGS = [
        Binding("ctrl+o", "focus_card", "カード番号へ"),
        Binding("ctrl+f", "focus_query", "資料検索へ"),
        Binding("ctrl+r", "confirm", "予約内容の確認"),
        Binding("ctrl+n", "reset", "次の受付"),
    ]
    AUTO_FOCUS = "#reserve-card"

    class PatronLoaded(Message):
        def __init__(self, info: dict | None, error: str = "") -> None:
            self.info, self.error = info, error
            super().__init__()

    class Found(Message):
        def __init__(self, hits: list | None, total: int = 0, error: str = "", refresh: bool = False) -> None:
            self.hits, self.total, self.error, self.refresh = hits, total, error, refresh
            super().__init__()

    class TitleChecked(Message):
        def __init__(self, info: dict | None, error: str = "") -> None:
            self.info, self.error = info, error
            super().__init__()

    class Reserved(Message):
        def __init__(self, result: dict | None, error: str = "") -> None:
            self.result, self.error = result, error
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.patron: dict | None = None
        self.title_info: dict | None = None
        self._last_query = ""

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="reserve-row"):
            yield Label("利用者カード番号", classes="field-label")
            yield Input(id="reserve-card", placeholder="7桁（全角・ハイフン可）", max_length=20)
        yield Static("カード番号を入力して Enter を押してください。", id="reserve-patron", classes="panel")
        with Horizontal(classes="reserve-row"):
            yield Label("資料検索", classes="field-label")
            yield Input(id="reserve-query", placeholder="書名・著者・ISBN など（Enter で検索）")
        table = DataTable(id="reserve-results", cursor_type="row", zebra_stripes=True)
        table.add_column("書名", width=40, key="title")
        table.add_column("著者", width=20, key="creator")
        table.add_column("種別", width=4, key="type")
        table.add_column("所蔵", width=6, key="copies")
        table.add_column("予約", width=4, key="holds")
        yield table
        with Horizontal(id="reserve-choice"):
            yield Static("資料を選ぶと、予約できるかどうかを表示します。", id="reserve-title", classes="panel")
            with Vertical(id="reserve-options"):
                yield Label("受取館")
                with RadioSet(id="pickup"):
                    for code, name in all_points():
                        yield RadioButton(name, id=f"pickup-{code}", value=False)
                yield Label("予約内容メール")
                with RadioSet(id="mail"):
                    yield RadioButton("希望しない", id="mail-no", value=True)
                    yield RadioButton("希望する", id="mail-yes")
                yield Label("受付方法")
                with RadioSet(id="via"):
                    yield RadioButton("電話", id="via-phone", value=True)
                    yield RadioButton("カウンター", id="via-counter")
        yield Static("", id="reserve-result")
        yield Footer()

    def on_mount(self) -> None:
        point = getattr(self.app, "point", "KIT")
        for button in self.query("#pickup RadioButton").results(RadioButton):
            button.value = button.id == f"pickup-{point}"
        self.query_one("#reserve-options").display = False

    # --- patron -----------------------------------------------------------------------------

    @on(Input.Submitted, "#reserve-card")
    def _card(self, event: Input.Submitted) -> None:
        self.query_one("#reserve-patron", Static).update("検索中…")
        self._load_patron(event.value)

    @work(thread=True, exclusive=True, group="patron")
    def _load_patron(self, card: str) -> None:
        try:
            self.post_message(self.PatronLoaded(run(holds_service.patron_brief, card)))
        except ServiceError as exc:
            self.post_message(self.PatronLoaded(None, exc.message))
        except Exception as exc:
            self.post_message(self.PatronLoaded(None, f"読み込めませんでした（{type(exc).__name__}）。"))

    def on_reserve_screen_patron_loaded(self, message: PatronLoaded) -> None:
        box = self.query_one("#reserve-patron", Static)
        if message.info is None:
            self.patron = None
            box.update(f"[red]{message.error}[/red]")
            self.query_one("#reserve-card", Input).focus()
            return
        p = self.patron = message.info
        lines = [f"[b]{p['name']}[/b]（{p['kana']}）　カード {p['card']}　予約 {len(p['holds'])} 件（上限 {p['max_holds']} 件）"]
        lines.append("連絡方法: " + self._contact_text())
        if p["blocked"]:
            lines.append("[red]貸出停止中[/red]")
        box.update("\n".join(lines))
        has_mail = p["contact"] == "email"
        self.query_one("#mail-yes", RadioButton).disabled = not has_mail
        if not has_mail:
            self.query_one("#mail-no", RadioButton).value = True
        self.query_one("#reserve-query", Input).focus()

    def _contact_text(self) -> str:
        p = self.patron or {}
        if p.get("contact") == "email":
            return f"メール（{p['web']['email']}）"
        return f"電話（{p.get('phone') or '番号未登録'}）　※受け取り可になったら電話連絡リストに載ります"

    # --- catalogue ----------------------------------------------------------------------------

    @on(Input.Submitted, "#reserve-query")
    def _query(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            return
        self.query_one("#reserve-title", Static).update("検索中…")
        self._last_query = event.value
        self._search(event.value)

    @work(thread=True, exclusive=True, group="search")
    def _search(self, text: str, refresh: bool = False) -> None:
        try:
            result = run(search, text, PAGE, 0)
            self.post_message(self.Found(result.hits, result.total, refresh=refresh))
        except ServiceError as exc:
            self.post_message(self.Found(None, error=exc.message))
        except Exception as exc:
            self.post_message(self.Found(None, error=f"検索できませんでした（{type(exc).__name__}）。"))

    def on_reserve_screen_found(self, message: Found) -> None:
        table = self.query_one("#reserve-results", DataTable)
        title = self.query_one("#reserve-title", Static)
        if message.refresh:  # after a reservation: new counts, same row, the message stays
            if message.hits is not None:
                self._fill(table, message.hits)
            return
        table.clear()
        if message.hits is None:
            title.update(f"[red]{message.error}[/red]")
            return
        self._fill(table, message.hits)
        if not message.hits:
            title.update("一致する資料はありません。")
            return
        shown = f"{message.total} 件中 {len(message.hits)} 件" if message.total > len(message.hits) else f"{message.total} 件"
        title.update(f"{shown}。↑↓で選んで Enter。")
        table.focus()

    @staticmethod
    def _fill(table: DataTable, hits: list) -> None:
        row = table.cursor_row
        table.clear()
        for hit in hits:
            total = len(hit.items)
            avail = sum(1 for it in hit.items if it["status"] == "available")
            table.add_row(hit.title, hit.creator, material(hit.material_type), f"{avail}/{total}",
                          str(hit.holds_waiting or ""), key=str(hit.id))
        if hits and 0 <= row < len(hits):
            table.move_cursor(row=row)

    @on(DataTable.RowSelected, "#reserve-results")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self.query_one("#reserve-result", Static).update("")
        card = self.patron["card"] if self.patron else None
        self._check_title(int(event.row_key.value), card)

    @work(thread=True, exclusive=True, group="title")
    def _check_title(self, bib_id: int, card: str | None) -> None:
        try:
            self.post_message(self.TitleChecked(run(holds_service.title_check, bib_id, card)))
        except ServiceError as exc:
            self.post_message(self.TitleChecked(None, exc.message))

    def on_reserve_screen_title_checked(self, message: TitleChecked) -> None:
        box = self.query_one("#reserve-title", Static)
        options = self.query_one("#reserve-options")
        self.title_info = message.info
        self.refresh_bindings()
        if message.info is None:
            box.update(f"[red]{message.error}[/red]")
            options.display = False
            return
        t = message.info
        lines = [f"[b]{t['title']}[/b]（{material(t['material_type'])}）　予約待ち {t['waiting']} 件"]
        if not t["reservable"]:
            lines.append(f"[red]予約できません: {t['message']}[/red]")
            box.update("\n".join(lines))
            options.display = False
            self.query_one("#reserve-results", DataTable).focus()
            return
        if t["series_note"]:
            lines.append(f"[yellow]{t['series_note']}[/yellow]")
        lines.append("受取館・メール・受付方法を選び、Ctrl+R で確認へ進みます。")
        box.update("\n".join(lines))
        options.display = True
        self.query_one("#pickup", RadioSet).focus()

    # --- reserving ----------------------------------------------------------------------------

    def _choice(self, set_id: str, prefix: str) -> str | None:
        pressed = self.query_one(f"#{set_id}", RadioSet).pressed_button
        return pressed.id.removeprefix(prefix) if pressed is not None and pressed.id else None

    def action_confirm(self) -> None:
        result = self.query_one("#reserve-result", Static)
        if self.patron is None:
            result.update("[red]先に利用者カード番号を入力してください。[/red]")
            self.query_one("#reserve-card", Input).focus()
            return
        if self.title_info is None or not self.title_info["reservable"]:
            result.update("[red]予約できる資料を選んでください。[/red]")
            self.query_one("#reserve-query", Input).focus()
            return
        pickup = self._choice("pickup", "pickup-")
        if pickup is None:
            result.update("[red]受取館を選んでください。[/red]")
            self.query_one("#pickup", RadioSet).focus()
            return
        want_mail = self._choice("mail", "mail-") == "yes"
        via = self._choice("via", "via-") or "phone"
        lines = [
            f"利用者: {self.patron['name']}（カード {self.patron['card']}）",
            f"資料: {self.title_info['title']}",
            f"受取館: {point_name(pickup)}",
            f"連絡方法: {self._contact_text()}",
            f"予約内容メール: {'希望する' if want_mail else '希望しない'}",
            f"受付方法: {'電話' if via == 'phone' else 'カウンター'}",
        ]
        if self.title_info.get("series_note"):
            lines.append(self.title_info["series_note"])
        request = (self.patron["card"], self.title_info["bib_id"], pickup, via, want_mail)

        def done(ok: bool | None) -> None:
            if ok:
                result.update("予約しています…")
                self._reserve(*request)

        self.app.push_screen(ConfirmReserve(lines), done)

    @work(thread=True, exclusive=True, group="reserve")
    def _reserve(self, card: str, bib_id: int, pickup: str, via: str, want_mail: bool) -> None:
        staff = getattr(self.app, "staff", None)
        actor = Actor(staff.id if staff else None, via, staff.name if staff else "")
        try:
            self.post_message(self.Reserved(run(holds_service.reserve, card, bib_id, pickup, via, want_mail, actor)))
        except ServiceError as exc:
            self.post_message(self.Reserved(None, exc.message))
        except Exception as exc:
            self.post_message(self.Reserved(None, f"予約できませんでした（{type(exc).__name__}）。"))

    def on_reserve_screen_reserved(self, message: Reserved) -> None:
        box = self.query_one("#reserve-result", Static)
        if message.result is None:
            box.update(f"[red]予約できませんでした: {message.error}[/red]")
            return
        r = message.result
        text = (
            f"[b]予約しました。予約番号 {r['hold_id']}　順位は {r['position']} 番目です。[/b]"
            f"（{r['title']}、受取 {point_name(r['pickup'])}）　Ctrl+N で次の受付"
        )
        if r.get("series_note"):
            text += f"\n[yellow]{r['series_note']}[/yellow]"
        box.update(text)
        self.query_one("#reserve-options").display = False
        self.query_one("#reserve-title", Static).update(f"[b]{r['title']}[/b]　予約済み。続けて別の資料を検索できます（Ctrl+F）。")
        self.title_info = None
        self.refresh_bindings()
        if self.patron is not None:
            self._load_patron(self.patron["card"])
        if self._last_query.strip():
            self._search(self._last_query, refresh=True)  # the 予約 column counts this one now

    # --- keys ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A title that cannot be reserved (DVD/CD, …): no ^r in the footer, the key does nothing.
        if action == "confirm" and self.title_info is not None and not self.title_info["reservable"]:
            return False
        return True

    def action_focus_card(self) -> None:
        self.query_one("#reserve-card", Input).focus()

    def action_focus_query(self) -> None:
        self.query_one("#reserve-query", Input).focus()

    def action_reset(self) -> None:
        self.patron = None
        self.title_info = None
        self._last_query = ""
        self.refresh_bindings()
        self.query_one("#reserve-card", Input).value = ""
        self.query_one("#reserve-query", Input).value = ""
        self.query_one("#reserve-results", DataTable).clear()
        self.query_one("#reserve-patron", Static).update("カード番号を入力して Enter を押してください。")
        self.query_one("#reserve-title", Static).update("資料を選ぶと、予約できるかどうかを表示します。")
        self.query_one("#reserve-result", Static).update("")
        self.query_one("#reserve-options").display = False
        self.query_one("#reserve-card", Input).focus()

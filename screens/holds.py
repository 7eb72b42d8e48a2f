"""F9 取置・回送: the lists of this service point's reservation work.

取り寄せ (pull list: copies to take off a shelf for waiting reservations; Enter takes the copy
and assigns it), 回送中 (copies travelling here), 取置棚 (ready reservations with deadlines),
本日期限切れ (expired this morning and where the copy went), 電話連絡 (patrons to telephone;
Enter records the call and starts the pickup deadline)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from counter_app.services import Actor, ServiceError, run
from counter_app.services import holds as holds_service
from counter_app.services.points import point_name

TABS = ("pull", "transit", "shelf", "expired", "call")
NOTICE_JA = {"sent": "メール送信済", "called": "電話連絡済", "queued": "メール送信待ち", "failed": "メール不達", "call": "電話未連絡"}


def route_ja(route: str | None) -> str:
    if not route:
        return ""
    if route.startswith("transit:"):
        return f"{point_name(route.split(':', 1)[1])}へ回送"
    if route.startswith("hold:"):
        return f"次の予約（{route.split(':', 1)[1]}）"
    return {
        "hold-shelf": "取置棚へ",
        "shelf": "書架へ",
        "available": "書架",
        "in-transit": "回送中",
        "on-hold-shelf": "取置棚",
        "on-loan": "貸出中",
    }.get(route, route)


def expired_route_ja(row: dict, shelf_ids: set[str]) -> str:
    """Where the copy of a reservation that expired this morning must go now, in words.

    ``now`` is the copy's state (``hold:N`` = it went to the next reservation N); the next
    reservation's pickup point (``next_pickup``) says whether it stays on this point's hold
    shelf or travels on."""
    now = row.get("now") or ""
    if now.startswith("hold:"):
        next_id = now.split(":", 1)[1]
        nxt = row.get("next_pickup")
        if next_id in shelf_ids or (nxt and nxt == row.get("pickup")):
            return f"取置棚へ（次の予約 {next_id}）"
        if nxt:
            return f"{point_name(nxt)}へ回送（次の予約 {next_id}）"
        return f"次の予約へ（予約番号 {next_id}）"
    # A copy back on the shelf or the hold shelf is where it must go, said as a direction.
    return {"available": "書架へ", "on-hold-shelf": "取置棚へ"}.get(now) or route_ja(now)


class ConfirmAction(ModalScreen[bool]):
    """Yes/no before an F9 action that cannot be taken back."""

    BINDINGS = [
        Binding("enter,y", "yes", "実行する"),
        Binding("escape,n", "no", "やめる"),
    ]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text, self.lines = title, lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="holds-confirm"):
            yield Static(f"[b]{self.title_text}[/b]", classes="panel-title")
            yield Static("\n".join(self.lines), id="holds-confirm-lines")
            yield Static("Enter または Y: 実行する　　Esc または N: やめる", classes="hint")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class HoldsScreen(Screen):
    BINDINGS = [
        Binding("1", "tab('pull')", "取り寄せ"),
        Binding("2", "tab('transit')", "回送中"),
        Binding("3", "tab('shelf')", "取置棚"),
        Binding("4", "tab('expired')", "期限切れ"),
        Binding("5", "tab('call')", "電話連絡"),
        Binding("ctrl+r", "reload", "再表示"),
        Binding("ctrl+d", "daily", "日次処理"),
    ]

    class Loaded(Message):
        def __init__(self, data: dict | None, error: str = "") -> None:
            self.data, self.error = data, error
            super().__init__()

    class Done(Message):
        def __init__(self, text: str, error: bool = False) -> None:
            self.text, self.error = text, error
            super().__init__()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("読み込み中…", id="holds-status")
        with TabbedContent(id="holds-tabs", initial="pull"):
            with TabPane("1 取り寄せ", id="pull"):
                yield Static("予約待ちの資料が書架にあります。資料を取り出して Enter（この館の資料のみ）。", classes="hint")
                yield self._table("pull-table", ("所在", "バーコード", "書名", "請求記号", "受取館", "予約番号"))
            with TabPane("2 回送中", id="transit"):
                yield Static("この館へ回送中の資料。届いたら F5 返却で受け付けます。", classes="hint")
                yield self._table("transit-table", ("バーコード", "書名", "発送館", "用途"))
            with TabPane("3 取置棚", id="shelf"):
                yield Static("受け取り可の予約。取置期限は連絡（メール送信・電話）の日から数えます。", classes="hint")
                yield self._table("shelf-table", ("予約番号", "バーコード", "書名", "カード", "氏名", "連絡", "取置期限"))
            with TabPane("4 本日期限切れ", id="expired"):
                yield Static("今朝の日次処理で期限切れになった予約と、資料の行き先。", classes="hint")
                yield self._table("expired-table", ("予約番号", "書名", "バーコード", "取置期限", "資料の行き先"))
            with TabPane("5 電話連絡", id="call"):
                yield Static("電話で連絡する利用者。連絡したら Enter（取置期限が今日から始まります）。", classes="hint")
                yield self._table("call-table", ("予約番号", "氏名", "電話", "書名", "バーコード", "理由"))
        yield Footer()

    @staticmethod
    def _table(table_id: str, columns: tuple[str, ...]) -> DataTable:
        table = DataTable(id=table_id, cursor_type="row", zebra_stripes=True)
        table.add_columns(*columns)
        return table

    @property
    def point(self) -> str:
        return getattr(self.app, "point", "KIT")

    def _actor(self) -> Actor:
        staff = getattr(self.app, "staff", None)
        return Actor(staff.id if staff else None, "counter", staff.name if staff else "")

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    def action_tab(self, tab: str) -> None:
        self.query_one("#holds-tabs", TabbedContent).active = tab
        self.query_one(f"#{tab}-table", DataTable).focus()

    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        try:
            self.post_message(self.Loaded(run(holds_service.lists, self.point)))
        except ServiceError as exc:
            self.post_message(self.Loaded(None, exc.message))
        except Exception as exc:
            self.post_message(self.Loaded(None, f"読み込めませんでした（{type(exc).__name__}）。"))

    def on_holds_screen_loaded(self, message: Loaded) -> None:
        status = self.query_one("#holds-status", Static)
        if message.data is None:
            status.update(f"[red]{message.error}[/red]")
            return
        d = message.data
        shelf_ids = {str(r["hold_id"]) for r in d["hold_shelf"]}
        fills = {
            "pull-table": [
                (r["barcode"], (point_name(r["at"]), r["barcode"], r["title"], r["call_number"], point_name(r["pickup"]), str(r["hold_id"])))
                for r in d["pull"]
            ],
            "transit-table": [
                (r["barcode"], (r["barcode"], r["title"], point_name(r["from"]), "予約（取置棚へ）" if r["purpose"] == "hold" else "所蔵館へ戻す"))
                for r in d["in_transit"]
            ],
            "shelf-table": [
                (str(r["hold_id"]), (str(r["hold_id"]), r["barcode"], r["title"], r["card"], r["name"], NOTICE_JA.get(r["notice"], r["notice"]), r["deadline"] or "連絡待ち"))
                for r in d["hold_shelf"]
            ],
            "expired-table": [
                (str(r["hold_id"]), (str(r["hold_id"]), r["title"], r["barcode"] or "", r["deadline"] or "", expired_route_ja(r, shelf_ids)))
                for r in d["expired_today"]
            ],
            "call-table": [
                (str(r["hold_id"]), (str(r["hold_id"]), r["name"], r["phone"] or "—", r["title"], r["barcode"], "メール不達" if r["why"] == "mail-failed" else "電話連絡"))
                for r in d["call"]
            ],
        }
        for table_id, rows in fills.items():
            table = self.query_one(f"#{table_id}", DataTable)
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)
        here = [r for r in d["pull"] if r["at"] == self.point]
        if here:  # start on the first copy this point can take off its own shelves
            first = next(i for i, r in enumerate(d["pull"]) if r["at"] == self.point)
            self.query_one("#pull-table", DataTable).move_cursor(row=first)
        status.update(
            f"{point_name(self.point)}　取り寄せ {len(here)} 点（全館 {len(d['pull'])} 点）　回送中 {len(d['in_transit'])} 点　"
            f"取置棚 {len(d['hold_shelf'])} 点　本日期限切れ {len(d['expired_today'])} 件　電話連絡 {len(d['call'])} 件"
        )
        tabs = self.query_one("#holds-tabs", TabbedContent)
        if not isinstance(self.focused, DataTable):
            self.query_one(f"#{tabs.active}-table", DataTable).focus()

    # --- actions --------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#pull-table")
    def _pull(self, event: DataTable.RowSelected) -> None:
        self._run_action("pull", str(event.row_key.value))

    @on(DataTable.RowSelected, "#call-table")
    def _called(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        row = [str(c) for c in event.data_table.get_row(event.row_key)]
        lines = [f"予約番号 {key}　{row[1]}（電話 {row[2]}）", f"「{row[3]}」", "", "電話で連絡したことを記録します。取置期限は今日から数えます。"]

        def done(yes: bool | None) -> None:
            if yes:
                self._run_action("called", key)

        self.app.push_screen(ConfirmAction("電話連絡の記録", lines), done)

    def action_daily(self) -> None:
        lines = [
            "取置期限を過ぎた予約を期限切れにし、資料を次の予約・所蔵館へ回します。",
            "[b]この端末の館だけでなく、全館（すべてのサービスポイント）の予約が対象です。[/b]",
            "同じ日に何度実行しても結果は同じです。",
        ]

        def done(yes: bool | None) -> None:
            if yes:
                self._run_action("daily", "")

        self.app.push_screen(ConfirmAction("日次処理（全館）の実行", lines), done)

    @work(thread=True, exclusive=True, group="action")
    def _run_action(self, what: str, key: str) -> None:
        actor = self._actor()
        try:
            if what == "pull":
                r = run(holds_service.pull, key, self.point, actor)
                text = f"{r['barcode']}「{r['title']}」: {route_ja(r['route'])}（予約番号 {r['hold_id']}）"
            elif what == "called":
                r = run(holds_service.mark_called, key, actor)
                text = f"予約番号 {r['hold_id']}: 電話連絡済み。取置期限 {r['deadline']}"
            else:
                r = run(holds_service.daily, None, actor)
                text = f"日次処理: 取置期限切れ {r['count']} 件"
            self.post_message(self.Done(text))
        except ServiceError as exc:
            self.post_message(self.Done(exc.message, error=True))
        except Exception as exc:
            self.post_message(self.Done(f"処理できませんでした（{type(exc).__name__}）。", error=True))

    def on_holds_screen_done(self, message: Done) -> None:
        self.notify(message.text, severity="error" if message.error else "information", timeout=8)
        self._load()

"""延滞一覧: overdue loans of a service point with the patrons' telephone numbers, for calling.
Opened with Ctrl+O from F5 返却 or F6 延長; 1/2/3 switch the service point; Esc closes."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from counter_app.services import ServiceError, run
from counter_app.services.circulation import overdue_list
from counter_app.services.points import all_points, point_name


class OverdueScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "閉じる"),
        Binding("1", "point(0)", "1つ目の館", show=False),
        Binding("2", "point(1)", "2つ目の館", show=False),
        Binding("3", "point(2)", "3つ目の館", show=False),
        Binding("r", "reload", "再読み込み"),
    ]

    class Loaded(Message):
        def __init__(self, point: str, rows: list[dict] | None, error: str = "") -> None:
            self.point, self.rows, self.error = point, rows, error
            super().__init__()

    def __init__(self, point: str) -> None:
        super().__init__()
        self.point = point

    def compose(self) -> ComposeResult:
        with Vertical(id="od-box", classes="dialog"):
            yield Static("読み込み中…", id="od-head")
            table = DataTable(id="od-table", cursor_type="row", zebra_stripes=True)
            table.add_column("カード", width=7)
            table.add_column("氏名", width=12)
            table.add_column("電話", width=13)
            table.add_column("メール", width=6)
            table.add_column("書名", width=28)
            table.add_column("返却期限", width=10)
            table.add_column("超過", width=5)
            yield table
            keys = "　".join(f"{i + 1}: {name}" for i, (_c, name) in enumerate(all_points()[:3]))
            yield Static(f"{keys}　R: 再読み込み　Esc: 閉じる", classes="hint")

    def on_mount(self) -> None:
        self._load(self.point)

    def action_point(self, index: int) -> None:
        codes = [c for c, _n in all_points()]
        if index < len(codes):
            self.point = codes[index]
            self._load(self.point)

    def action_reload(self) -> None:
        self._load(self.point)

    @work(thread=True, exclusive=True)
    def _load(self, point: str) -> None:
        try:
            self.post_message(self.Loaded(point, run(overdue_list, point)))
        except ServiceError as exc:
            self.post_message(self.Loaded(point, None, exc.message))

    def on_overdue_screen_loaded(self, message: Loaded) -> None:
        head = self.query_one("#od-head", Static)
        table = self.query_one("#od-table", DataTable)
        table.clear()
        if message.rows is None:
            head.update(f"[red]{message.error}[/red]")
            return
        patrons = len({r["card"] for r in message.rows})
        head.update(
            f"[b]延滞一覧　{point_name(message.point)}（{message.point}）[/b]　"
            f"{len(message.rows)} 点・{patrons} 人　メール未登録の方には電話で連絡してください。"
        )
        for r in message.rows:
            table.add_row(r["card"], r["name"], r["phone"] or "—", "有" if r["has_email"] else "無",
                          r["title"], r["due"], f"{r['days_overdue']}日")
        table.focus()

"""F5 返却: scan the returned items; each line says where the item goes next (shelf, transit to
its home service point with a transit slip, or the hold shelf). Scans are queued in order and
handled one by one in a worker, so a burst from the scanner never loses a code."""

from __future__ import annotations

from collections import deque

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from counter_app.services import Actor, ServiceError, run
from counter_app.services.circulation import checkin, checkin_summary
from counter_app.services.points import point_name
from screens.scaninput import ScanInput


def route_label(route: str | None, kind: str | None = None) -> str:
    if kind == "already-in-transit":
        return "[dim]回送手続き済み[/dim]"
    if not route:
        return "[red]返却できません[/red]"
    if route == "shelf":
        return "[green]書架へ[/green]"
    if route == "hold-shelf":
        return "[yellow]取置棚へ（予約）[/yellow]"
    if route.startswith("transit:"):
        code = route.split(":", 1)[1]
        return f"[yellow]回送 → {point_name(code)}[/yellow]"
    return route


class CheckinScreen(Screen):
    BINDINGS = [
        Binding("ctrl+l", "clear", "一覧を消去"),
        Binding("ctrl+o", "overdue", "延滞一覧"),
        Binding("ctrl+f", "focus_scan", "入力欄へ"),
    ]
    AUTO_FOCUS = "#ci-scan"

    class Returned(Message):
        def __init__(self, row: str, result: dict) -> None:
            self.row, self.result = row, result
            super().__init__()

    class BatchDone(Message):
        pass

    def __init__(self) -> None:
        super().__init__()
        self._queue: deque[tuple[str, str]] = deque()
        self._busy = False
        self._seq = 0
        self._results: list[dict] = []  # every finished scan, for the counter

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("返却する資料のバーコードを続けて読み取ってください。", id="ci-prompt")
        yield ScanInput(id="ci-scan", placeholder="資料バーコード", max_length=40)
        table = DataTable(id="ci-lines", cursor_type="row", zebra_stripes=True)
        table.add_column("No", width=3, key="no")
        table.add_column("バーコード", width=12, key="barcode")
        table.add_column("書名", width=30, key="title")
        table.add_column("行き先", width=22, key="route")
        table.add_column("メモ", width=44, key="note")
        yield table
        yield Static("", id="ci-status")
        yield Footer()

    @on(ScanInput.Scanned, "#ci-scan")
    def _scanned(self, event: ScanInput.Scanned) -> None:
        self._seq += 1
        row = f"r{self._seq}"
        table = self.query_one("#ci-lines", DataTable)
        table.add_row(str(self._seq), event.value.strip(), "", "処理待ち…", "", key=row)
        table.move_cursor(row=table.row_count - 1)
        self._queue.append((row, event.value))
        self._pump()

    def _pump(self) -> None:
        if self._busy or not self._queue:
            return
        self._busy = True
        batch = list(self._queue)
        self._queue.clear()
        staff = self.app.staff
        actor = Actor(staff.id if staff else None, "counter", staff.name if staff else "")
        self._return(batch, self.app.point, actor)

    @work(thread=True, group="ci-return")
    def _return(self, batch: list[tuple[str, str]], point: str, actor: Actor) -> None:
        for row, barcode in batch:
            try:
                result = run(checkin, [barcode], point, actor)[0]
            except ServiceError as exc:
                result = {"barcode": barcode, "ok": False, "route": None, "title": "", "message": exc.message}
            except Exception as exc:
                result = {"barcode": barcode, "ok": False, "route": None, "title": "",
                          "message": f"処理できませんでした（{type(exc).__name__}）。"}
            self.post_message(self.Returned(row, result))
        self.post_message(self.BatchDone())

    def on_checkin_screen_returned(self, message: Returned) -> None:
        r = message.result
        table = self.query_one("#ci-lines", DataTable)
        self._results.append(r)
        note = r.get("note", "") if r["ok"] else r.get("message", "")
        try:
            table.update_cell(message.row, "barcode", r["barcode"])
            table.update_cell(message.row, "title", r.get("title") or "")
            table.update_cell(message.row, "route", route_label(r.get("route"), r.get("kind")))
            table.update_cell(message.row, "note", note if r["ok"] else f"[red]{note}[/red]")
        except Exception:
            return
        if r.get("slip") == "printed":
            self.notify(f"{r['barcode']} の回送票を印刷しました。", title="回送票")
        elif r.get("slip"):  # the printer was not reached: the slip is a file in the spool folder
            self.notify(f"{r['barcode']} の回送票をファイルに保存しました（印刷してください）: {r['slip']}",
                        title="回送票", severity="warning")
        self._status()

    def on_checkin_screen_batch_done(self, _message: BatchDone) -> None:
        self._busy = False
        self._pump()
        self._status()

    def _status(self) -> None:
        text = checkin_summary(self._results)
        if self._busy or self._queue:
            text += "　処理中…"
        self.query_one("#ci-status", Static).update(text)

    def action_clear(self) -> None:
        if self._busy or self._queue:
            self.notify("返却の処理中です。", severity="warning")
            return
        self.query_one("#ci-lines", DataTable).clear()
        self._seq = 0
        self._results = []
        self._status()
        self.action_focus_scan()

    def action_overdue(self) -> None:
        from screens.overdue import OverdueScreen

        self.app.push_screen(OverdueScreen(self.app.point))

    def action_focus_scan(self) -> None:
        self.query_one("#ci-scan", ScanInput).focus()

    def on_screen_resume(self) -> None:
        self.action_focus_scan()

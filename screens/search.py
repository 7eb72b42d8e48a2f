"""F3 資料検索: results follow the keystrokes (debounced, in a worker; stale results dropped)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from counter_app.services import ServiceError, run
from counter_app.services.search import SearchResult, search
from screens.labels import material
from screens.record import RecordScreen

PAGE = 100
DEBOUNCE = 0.25


class SearchScreen(Screen):
    BINDINGS = [
        Binding("ctrl+f", "focus_query", "検索語へ"),
        Binding("ctrl+n", "more", "続きを表示"),
    ]
    AUTO_FOCUS = "#query"

    class Done(Message):
        def __init__(self, seq: int, result: SearchResult | None, error: str = "", append: bool = False) -> None:
            self.seq, self.result, self.error, self.append = seq, result, error, append
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._seq = 0
        self._timer = None
        self._shown = 0
        self._query = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(id="query", placeholder="書名・著者・出版者・ISBN・ヨミ（スペースで区切ると AND）")
        yield Static("検索語を入力してください。", id="count")
        table = DataTable(id="results", cursor_type="row", zebra_stripes=True)
        table.add_column("書名", width=40, key="title")
        table.add_column("著者", width=24, key="creator")
        table.add_column("出版者", width=14, key="publisher")
        table.add_column("年", width=4, key="year")
        table.add_column("種別", width=4, key="type")
        for code in ("KIT", "YAM", "OTA"):
            table.add_column(code, width=5, key=code)
        table.add_column("予約", width=4, key="holds")
        yield table
        yield Footer()

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._seq += 1
        seq, text = self._seq, event.value
        self._timer = self.set_timer(DEBOUNCE, lambda: self._start(seq, text))

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._seq += 1
        self._start(self._seq, event.value, focus_results=True)

    def _start(self, seq: int, text: str, focus_results: bool = False) -> None:
        self._query = text
        self._focus_after = focus_results
        if not text.strip():
            self.query_one("#results", DataTable).clear()
            self.query_one("#count", Static).update("検索語を入力してください。")
            return
        self.query_one("#count", Static).update("検索中…")
        self._run(seq, text, 0, False)

    @work(thread=True, exclusive=True, group="search")
    def _run(self, seq: int, text: str, offset: int, append: bool) -> None:
        worker = get_current_worker()
        try:
            result = run(search, text, PAGE, offset)
            message = self.Done(seq, result, append=append)
        except ServiceError as exc:
            message = self.Done(seq, None, exc.message)
        except Exception as exc:
            message = self.Done(seq, None, f"検索できませんでした（{type(exc).__name__}）。")
        if not worker.is_cancelled:
            self.post_message(message)

    def on_search_screen_done(self, message: Done) -> None:
        if message.seq != self._seq:
            return  # a newer query is on its way: drop stale results
        table = self.query_one("#results", DataTable)
        count = self.query_one("#count", Static)
        if message.result is None:
            count.update(f"[red]{message.error}[/red]")
            return
        result = message.result
        if not message.append:
            table.clear()
            self._shown = 0
        for hit in result.hits:
            avail = hit.availability()
            cells = [hit.title, hit.creator, hit.publisher, str(hit.year or ""), material(hit.material_type)]
            for code in ("KIT", "YAM", "OTA"):
                a, t = avail.get(code, (0, 0))
                cells.append(f"{a}/{t}" if t else "—")
            cells.append(str(hit.holds_waiting or ""))
            table.add_row(*cells, key=str(hit.id))
        self._shown += len(result.hits)
        if result.total == 0:
            count.update(f"「{result.query}」に一致する資料はありません。")
        else:
            more = "（Ctrl+N で続きを表示）" if self._shown < result.total else ""
            count.update(f"{result.total:,} 件中 {self._shown:,} 件を表示{more}　Enter で詳細")
        if getattr(self, "_focus_after", False) and result.hits:
            table.focus()
            self._focus_after = False

    @on(DataTable.RowSelected, "#results")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(RecordScreen(int(event.row_key.value)))

    def action_focus_query(self) -> None:
        self.query_one("#query", Input).focus()

    def action_more(self) -> None:
        if self._query.strip():
            self._run(self._seq, self._query, self._shown, True)

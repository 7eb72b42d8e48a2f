"""F3 資料検索: results follow the keystrokes (debounced, in a worker; stale results dropped),
with a field to search in (Ctrl+O), pages of 50 (Ctrl+N / Ctrl+P) and the total count."""

from __future__ import annotations

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from counter_app.services import ServiceError, run
from counter_app.services.search import SearchResult, search
from screens.labels import material
from screens.record import RecordScreen

PAGE = 50
DEBOUNCE = 0.25
# (field name for the service, label); None = every field (the plain box).
FIELDS = [
    (None, "すべて"),
    ("title", "書名"),
    ("creator", "著者"),
    ("publisher", "出版者"),
    ("isbn", "ISBN"),
    ("ndc", "分類"),
    ("yomi", "ヨミ"),
]


class SearchScreen(Screen):
    BINDINGS = [
        Binding("ctrl+f", "focus_query", "検索語へ"),
        Binding("ctrl+o", "cycle_field", "項目切替"),
        Binding("ctrl+n", "next_page", "次の50件"),
        Binding("ctrl+p", "prev_page", "前の50件"),
    ]
    AUTO_FOCUS = "#query"

    class Done(Message):
        def __init__(self, seq: int, result: SearchResult | None, error: str = "") -> None:
            self.seq, self.result, self.error = seq, result, error
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._seq = 0
        self._timer = None
        self._query = ""
        self._field = 0
        self._offset = 0
        self._total = 0
        # The page the latest request asks for: quick Ctrl+N presses count from here, not from
        # the page on screen, so three presses before the first answer move three pages.
        self._target = 0
        self._focus_after = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-bar"):
            yield Static(self._field_label(), id="field")
            yield Input(
                id="query",
                placeholder="書名・著者・出版者・ISBN・ヨミ（スペースで区切ると AND。例: 著者:漱石 こころ）",
            )
        yield Static("検索語を入力してください。", id="count")
        table = DataTable(id="results", cursor_type="row", zebra_stripes=True)
        table.add_column("書名", width=34, key="title")
        table.add_column("著者", width=20, key="creator")
        table.add_column("出版者", width=14, key="publisher")
        table.add_column("年", width=4, key="year")
        table.add_column("種別", width=4, key="type")
        for code in ("KIT", "YAM", "OTA"):
            table.add_column(code, width=5, key=code)
        table.add_column("予約", width=4, key="holds")
        yield table
        yield Footer()

    # --- asking ------------------------------------------------------------------------

    def _field_label(self) -> str:
        return f"項目: {FIELDS[self._field][1]}"

    @on(Input.Changed, "#query")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._seq += 1
        seq, text = self._seq, event.value
        self._timer = self.set_timer(DEBOUNCE, lambda: self._start(seq, text, 0))

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._seq += 1
        self._start(self._seq, event.value, 0, focus_results=True)

    def _start(self, seq: int, text: str, offset: int, focus_results: bool = False) -> None:
        if seq != self._seq:
            return  # a newer keystroke came in before the timer fired
        self._query = text
        self._target = offset
        self._focus_after = focus_results
        if not text.strip():
            self.query_one("#results", DataTable).clear()
            self.query_one("#count", Static).update("検索語を入力してください。")
            self._total = 0
            return
        self.query_one("#count", Static).update("検索中…")
        self._run(seq, text, FIELDS[self._field][0], offset)

    @work(thread=True, exclusive=True, group="search")
    def _run(self, seq: int, text: str, fld: str | None, offset: int) -> None:
        worker = get_current_worker()
        try:
            if fld is None:
                result = run(search, text, PAGE, offset)
            else:
                result = run(search, "", PAGE, offset, fields={fld: text})
                result.query = text
            message = self.Done(seq, result)
        except ServiceError as exc:
            message = self.Done(seq, None, exc.message)
        except Exception as exc:  # never a traceback at the desk
            message = self.Done(seq, None, f"検索できませんでした（{type(exc).__name__}）。")
        if not worker.is_cancelled:
            self.post_message(message)

    # --- showing -----------------------------------------------------------------------

    def on_search_screen_done(self, message: Done) -> None:
        if message.seq != self._seq:
            return  # a newer query is on its way: drop stale results
        table = self.query_one("#results", DataTable)
        count = self.query_one("#count", Static)
        if message.result is None:
            table.clear()
            self._total = 0
            self._target = self._offset
            count.update(f"[red]{message.error}[/red]")
            return
        result = message.result
        self._offset, self._total = result.offset, result.total
        self._target = result.offset
        table.clear()
        for hit in result.hits:
            avail = hit.availability()
            cells = [hit.title, hit.creator, hit.publisher, str(hit.year or ""), material(hit.material_type)]
            for code in ("KIT", "YAM", "OTA"):
                a, t = avail.get(code, (0, 0))
                cells.append(f"{a}/{t}" if t else "—")
            cells.append(str(hit.holds_waiting or ""))
            table.add_row(*cells, key=str(hit.id))
        count.update(self._count_text(result))
        if self._focus_after and result.hits:
            table.focus()
            self._focus_after = False

    def _count_text(self, result: SearchResult) -> str:
        where = "" if FIELDS[self._field][0] is None else f"（{FIELDS[self._field][1]}）"
        if result.total == 0:
            return f"「{result.query}」{where}に一致する資料はありません。"
        first, last = result.offset + 1, result.offset + len(result.hits)
        pages = (result.total + PAGE - 1) // PAGE
        page = result.offset // PAGE + 1
        keys = []
        if page > 1:
            keys.append("Ctrl+P 前")
        if last < result.total:
            keys.append("Ctrl+N 次")
        more = f"　{' / '.join(keys)}" if keys else ""
        return f"{result.total:,} 件{where}　{first:,}〜{last:,} 件目（{page:,}/{pages:,} ページ）{more}　Enter で詳細"

    # --- actions -----------------------------------------------------------------------

    @on(DataTable.RowSelected, "#results")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(RecordScreen(int(event.row_key.value)))

    def action_focus_query(self) -> None:
        self.query_one("#query", Input).focus()

    def on_key(self, event: events.Key) -> None:
        """Typing on the results list (e.g. after closing a record with Esc) goes on in the
        query box: the list keeps its arrow/Enter/paging keys, a character is never lost."""
        if not event.is_printable or not event.character:
            return
        if self.focused is not self.query_one("#results", DataTable):
            return
        box = self.query_one("#query", Input)
        box.select_on_focus = False  # continue the query, do not replace it with this key

        def restore() -> None:
            box.select_on_focus = True

        self.set_focus(box)  # now, not later: the Focus event is queued before restore()
        box.cursor_position = len(box.value)
        box.insert_text_at_cursor(event.character)
        box.call_later(restore)  # queued behind the Focus event the box is about to handle
        event.stop()
        event.prevent_default()

    def action_cycle_field(self) -> None:
        self._field = (self._field + 1) % len(FIELDS)
        self.query_one("#field", Static).update(self._field_label())
        self._seq += 1
        self._start(self._seq, self.query_one("#query", Input).value, 0)

    def _page(self, offset: int) -> None:
        if not self._query.strip() or offset < 0 or offset >= max(self._total, 1):
            self.app.bell()
            return
        self._seq += 1
        self._target = offset
        self.query_one("#count", Static).update("検索中…")
        self._run(self._seq, self._query, FIELDS[self._field][0], offset)

    def action_next_page(self) -> None:
        self._page(self._target + PAGE)

    def action_prev_page(self) -> None:
        self._page(self._target - PAGE)

"""A bibliographic record with its copies (opened with Enter from a search result)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from counter_app.services import ServiceError, run
from counter_app.services.catalog import record_detail
from counter_app.services.points import point_name
from screens.labels import item_status, material


class RecordScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "dismiss", "閉じる")]

    class Loaded(Message):
        def __init__(self, record: dict | None, error: str = "") -> None:
            self.record, self.error = record, error
            super().__init__()

    def __init__(self, bib_id: int) -> None:
        super().__init__()
        self.bib_id = bib_id

    def compose(self) -> ComposeResult:
        with Vertical(id="record-box", classes="dialog"):
            yield Static("読み込み中…", id="record-head")
            table = DataTable(id="record-items", cursor_type="row", zebra_stripes=True)
            table.add_columns("バーコード", "所在", "所蔵館", "状態", "請求記号", "返却期限")
            yield table
            yield Static("Esc で閉じます", classes="hint")

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True)
    def _load(self) -> None:
        try:
            self.post_message(self.Loaded(run(record_detail, self.bib_id)))
        except ServiceError as exc:
            self.post_message(self.Loaded(None, exc.message))

    def on_record_screen_loaded(self, message: Loaded) -> None:
        head = self.query_one("#record-head", Static)
        if message.record is None:
            head.update(message.error)
            return
        r = message.record
        lines = [f"[b]{r['title']}[/b]"]
        if r["title_yomi"]:
            made = "（ヨミは自動付与）" if r.get("yomi_generated") else ""
            lines.append(f"[dim]{r['title_yomi']}{made}[/dim]")
        lines.append(f"著者: {r['creator'] or '—'}")
        lines.append(f"出版: {r['publisher'] or '—'}  {r['pub_date'] or (r['year'] or '')}")
        extra = [f"種別: {material(r['material_type'])}"]
        if r["isbn"]:
            extra.append(f"ISBN: {r['isbn']}")
        if r["ndc"]:
            extra.append(f"NDC: {r['ndc']}")
        extra.append(f"書誌ID: {r['id']} ({r['source_id']})")
        lines.append("  ".join(extra))
        lines.append(f"予約待ち: {r['holds_waiting']} 件")
        head.update("\n".join(lines))
        table = self.query_one("#record-items", DataTable)
        for it in r["items"]:
            status = item_status(it["status"]) + ("" if it["owned"] else "（他館資料）")
            table.add_row(
                it["barcode"], point_name(it["branch"]), point_name(it["home"]), status,
                it["call_number"], it["due"] or "",
            )
        table.focus()

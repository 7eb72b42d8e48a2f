"""F4 貸出: the card, then the items one after another (typed or scanned).

One input line takes everything: the first code is the patron's card, every code after it is
an item, until Ctrl+N starts the next patron. Scanned codes are queued in order and lent one
by one in a worker, so a scanner's burst never loses a digit and the screen never waits.
"""

from __future__ import annotations

from collections import deque

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from counter_app.services import Actor, ServiceError, run
from counter_app.services.circulation import checkout, print_receipt
from counter_app.services.patrons import patron_summary
from policies.cards import normalize_card
from screens.scaninput import ScanInput

PROMPT_CARD = "[b]利用者カード[/b]を読み取ってください（または番号を入力して Enter）"
PROMPT_ITEM = "[b]資料のバーコード[/b]を続けて読み取ってください　Ctrl+N 次の利用者　Ctrl+P 貸出票"


def _actor(app) -> Actor:
    staff = getattr(app, "staff", None)
    return Actor(staff.id if staff else None, "counter", staff.name if staff else "")


class CheckoutScreen(Screen):
    BINDINGS = [
        Binding("ctrl+n", "next_patron", "次の利用者"),
        Binding("ctrl+p", "receipt", "貸出票印刷"),
        Binding("ctrl+f", "focus_scan", "入力欄へ"),
    ]
    AUTO_FOCUS = "#co-scan"

    class PatronLoaded(Message):
        def __init__(self, card: str, info: dict | None, error: str = "", refresh: bool = False) -> None:
            self.card, self.info, self.error, self.refresh = card, info, error, refresh
            super().__init__()

    class Lent(Message):
        def __init__(self, row: str, result: dict) -> None:
            self.row, self.result = row, result
            super().__init__()

    class BatchDone(Message):
        pass

    class Printed(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._card: str | None = None  # the confirmed patron
        self._pending_card: str | None = None  # being looked up
        self._queue: deque[tuple[str, str]] = deque()
        self._busy = False
        self._seq = 0
        self._results: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(PROMPT_CARD, id="co-prompt")
        yield ScanInput(id="co-scan", placeholder="カード番号 / 資料バーコード", max_length=40)
        yield Static("利用者はまだ決まっていません。", id="co-patron", classes="panel")
        table = DataTable(id="co-lines", cursor_type="row", zebra_stripes=True)
        table.add_column("No", width=3, key="no")
        table.add_column("バーコード", width=12, key="barcode")
        table.add_column("書名", width=32, key="title")
        table.add_column("結果", width=64, key="result")
        yield table
        yield Static("", id="co-status")
        yield Footer()

    # --- input -----------------------------------------------------------------------------

    @on(ScanInput.Scanned, "#co-scan")
    def _scanned(self, event: ScanInput.Scanned) -> None:
        value = event.value.strip()
        if self._card is None and self._pending_card is None:
            self._pending_card = value
            self.query_one("#co-patron", Static).update(f"カード {value} を確認しています…")
            self.query_one("#co-prompt", Static).update(PROMPT_ITEM)
            self._load_patron(value)
            return
        self._seq += 1
        row = f"r{self._seq}"
        table = self.query_one("#co-lines", DataTable)
        table.add_row(str(self._seq), value, "", "処理待ち…", key=row)
        table.move_cursor(row=table.row_count - 1)
        self._queue.append((row, value))
        self._pump()

    def _pump(self) -> None:
        if self._card is None or self._busy or not self._queue:
            return
        self._busy = True
        batch = list(self._queue)
        self._queue.clear()
        self._lend(self._card, batch, self.app.point, _actor(self.app))

    # --- workers ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="co-patron")
    def _load_patron(self, card: str) -> None:
        try:
            self.post_message(self.PatronLoaded(card, run(patron_summary, card)))
        except ServiceError as exc:
            self.post_message(self.PatronLoaded(card, None, exc.message))
        except Exception as exc:
            self.post_message(self.PatronLoaded(card, None, f"利用者を読み込めませんでした（{type(exc).__name__}）。"))

    @work(thread=True, group="co-lend")
    def _lend(self, card: str, batch: list[tuple[str, str]], point: str, actor: Actor) -> None:
        lent = False
        for row, barcode in batch:
            try:
                result = run(checkout, card, [barcode], point, actor)[0]
            except ServiceError as exc:
                result = {"barcode": barcode, "ok": False, "due": None, "reasons": exc.reasons,
                          "title": "", "message": exc.message}
            except Exception as exc:
                result = {"barcode": barcode, "ok": False, "due": None, "reasons": ["error"],
                          "title": "", "message": f"処理できませんでした（{type(exc).__name__}）。"}
            lent = lent or result["ok"]
            self.post_message(self.Lent(row, result))
        if lent:  # the header's 貸出中 count and overdue line follow the new loans
            try:
                self.post_message(self.PatronLoaded(card, run(patron_summary, card), refresh=True))
            except Exception:  # the lines already say what was lent; the header waits for the next
                pass
        self.post_message(self.BatchDone())

    @work(thread=True, exclusive=True, group="co-print")
    def _print(self, card: str, results: list[dict], point: str) -> None:
        try:
            slip = run(print_receipt, card, results, point)
            self.post_message(self.Printed(slip.message))
        except Exception as exc:
            self.post_message(self.Printed(f"貸出票を印刷できませんでした（{type(exc).__name__}）。"))

    # --- results ---------------------------------------------------------------------------

    def on_checkout_screen_patron_loaded(self, message: PatronLoaded) -> None:
        if message.refresh:
            if message.info is not None and message.card == self._card:
                self._show_patron(message.info)
            return
        if message.card != self._pending_card:
            return
        box = self.query_one("#co-patron", Static)
        self._pending_card = None
        if message.info is None:
            box.update(f"[red]{message.error}[/red]")
            self.query_one("#co-prompt", Static).update(PROMPT_CARD)
            table = self.query_one("#co-lines", DataTable)
            for row, _barcode in self._queue:
                table.update_cell(row, "result", "[red]利用者が確定していないため処理しませんでした[/red]")
            self._queue.clear()
            return
        self._card = message.info["card"]
        self._show_patron(message.info)
        self._pump()

    def _show_patron(self, p: dict) -> None:
        overdue = sum(1 for ln in p["loans"] if ln["overdue"])
        lines = [f"[b]{p['name']}[/b]（{p['kana']}）　カード {p['card']}　貸出中 {len(p['loans'])} 点"]
        if p["blocked"]:
            lines.append("[red]この利用者は貸出停止中です。[/red]")
        if overdue:
            lines.append(f"[red]延滞中の資料が {overdue} 点あります。返却をお願いしてください。[/red]")
        self.query_one("#co-patron", Static).update("\n".join(lines))

    def on_checkout_screen_lent(self, message: Lent) -> None:
        r = message.result
        table = self.query_one("#co-lines", DataTable)
        if r["ok"]:
            self._results.append(r)
            text = f"[green]貸出　返却期限 {r['due']}[/green]"
            if r.get("warnings"):
                text += "　[yellow]※延滞あり[/yellow]"
        else:
            text = f"[red]貸出できません: {r['message']}[/red]"
            if r["reasons"] == ["unknown-item"] and normalize_card(r["barcode"]).card:
                text = "[red]利用者カードのようです。次の利用者は Ctrl+N を押してから読み取ってください。[/red]"
        try:
            table.update_cell(message.row, "barcode", r["barcode"])
            table.update_cell(message.row, "title", r.get("title") or "")
            table.update_cell(message.row, "result", text)
        except Exception:
            return  # the table was cleared for the next patron
        self._status()

    def on_checkout_screen_batch_done(self, _message: BatchDone) -> None:
        self._busy = False
        self._pump()
        self._status()

    def on_checkout_screen_printed(self, message: Printed) -> None:
        self.notify(message.text, title="貸出票")

    def _status(self) -> None:
        waiting = len(self._queue) + (1 if self._busy else 0)
        text = f"今回の貸出 {len(self._results)} 点"
        if waiting:
            text += "　処理中…"
        self.query_one("#co-status", Static).update(text)

    # --- actions ---------------------------------------------------------------------------

    def action_next_patron(self) -> None:
        if self._busy or self._queue:
            self.notify("貸出の処理中です。終わってから次の利用者に進んでください。", severity="warning")
            return
        self._card = None
        self._pending_card = None
        self._results = []
        self._seq = 0
        self.query_one("#co-lines", DataTable).clear()
        self.query_one("#co-patron", Static).update("利用者はまだ決まっていません。")
        self.query_one("#co-prompt", Static).update(PROMPT_CARD)
        self.query_one("#co-status", Static).update("")
        self.action_focus_scan()

    def action_receipt(self) -> None:
        if not self._card or not self._results:
            self.notify("印刷する貸出がありません。", severity="warning")
            return
        self._print(self._card, list(self._results), self.app.point)

    def action_focus_scan(self) -> None:
        self.query_one("#co-scan", ScanInput).focus()

    def on_screen_resume(self) -> None:
        self.action_focus_scan()

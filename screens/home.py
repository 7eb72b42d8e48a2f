"""The main screen after sign-in: the function keys and the day's counts."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from counter_app.services import run
from counter_app.services.stats import stats


class HomeScreen(Screen):
    class Counts(Message):
        def __init__(self, counts: dict | None) -> None:
            self.counts = counts
            super().__init__()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="home"):
            with Vertical(id="menu", classes="panel"):
                yield Static("[b]業務メニュー[/b]", classes="panel-title")
                for key, label, ready in self.app.feature_list():
                    mark = "" if ready else "  [dim]（準備中）[/dim]"
                    yield Static(f" [b]{key.upper():>3}[/b]  {label}{mark}", classes="menu-line")
            with Vertical(id="counts", classes="panel"):
                yield Static("[b]所蔵と利用の状況[/b]", classes="panel-title")
                yield Static("読み込み中…", id="count-lines")
        yield Footer()

    def on_screen_resume(self) -> None:
        self._load()

    @work(thread=True, exclusive=True)
    def _load(self) -> None:
        try:
            self.post_message(self.Counts(run(stats)))
        except Exception:
            self.post_message(self.Counts(None))

    def on_home_screen_counts(self, message: Counts) -> None:
        c = message.counts
        if c is None:
            text = "件数を読み込めませんでした。"
        else:
            text = (
                f"書誌      {c['bibs']:>9,} 件\n資料      {c['items']:>9,} 点\n"
                f"利用者    {c['patrons']:>9,} 人\n貸出中    {c['loans']:>9,} 点\n予約      {c['holds']:>9,} 件"
            )
        self.query_one("#count-lines", Static).update(text)

"""F1 ヘルプ: the keys of the counter terminal."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1", "dismiss", "閉じる")]

    def __init__(self, features: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.features = features

    def compose(self) -> ComposeResult:
        lines = ["[b]キー操作[/b]", ""]
        lines += [f"  {key.upper():<4} {label}" + ("" if ready else "（準備中）") for key, label, ready in self.features]
        lines += [
            "",
            "  Esc   前の画面へ戻る／閉じる",
            "  Tab   次の入力欄へ",
            "  Enter 決定（一覧では詳細を開く）",
            "  Ctrl+Q 終了",
        ]
        with Vertical(id="help-box", classes="dialog"):
            yield Static("\n".join(lines))
            yield Static("Esc で閉じます", classes="hint")

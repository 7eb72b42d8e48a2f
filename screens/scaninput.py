"""An input line for barcode scanners.

A scanner types the digits and Enter in a fast burst, often several codes in a row. In a plain
``Input`` the Enter key is a *binding*: it runs only after the key has bubbled up, and by then
the next code's digits are already in the field — two codes run together, or the screen's
clearing of the field wipes the start of the next one. ``ScanInput`` handles Enter in its own
key handler, in order with the digits: it takes the value, clears the field and posts one
:class:`ScanInput.Scanned` per code. A pasted block of several lines, or several codes on one
line separated by spaces (a barcode never contains one), becomes several codes.
The screen queues the work.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input


class ScanInput(Input):
    class Scanned(Message):
        def __init__(self, scan_input: "ScanInput", value: str) -> None:
            self.scan_input = scan_input
            self.value = value
            super().__init__()

        @property
        def control(self) -> "ScanInput":
            return self.scan_input

    def _take(self) -> None:
        value = self.value
        self.value = ""
        for code in value.split():  # any whitespace, full-width space too
            self.post_message(self.Scanned(self, code))

    # Textual calls the ``_on_*`` handler of every class in the MRO until one prevents the
    # default, so these only take what is theirs and leave the rest to ``Input``.
    async def _on_key(self, event: events.Key) -> None:
        if event.key in ("enter", "ctrl+m", "ctrl+j"):
            event.stop()
            event.prevent_default()
            self._take()

    async def action_submit(self) -> None:
        self._take()

    def _on_paste(self, event: events.Paste) -> None:
        lines = event.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if len(lines) == 1:
            return  # Input inserts a single line
        event.stop()
        event.prevent_default()
        for line in lines[:-1]:
            self.insert_text_at_cursor(line)
            self._take()
        if lines[-1]:
            self.insert_text_at_cursor(lines[-1])

"""Keyboard helpers shared by the Pilot tests of the counter screens."""

from __future__ import annotations


async def settle(pilot) -> None:
    """Let workers finish and the messages they post arrive."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def type_text(pilot, text: str) -> None:
    """Type as a person does, one key at a time."""
    for ch in text:
        await pilot.press(ch)


async def open_reserve(pilot, card: str):
    """F7 予約 with the patron's card read in; returns the screen."""
    await pilot.press("f7")
    await settle(pilot)
    await type_text(pilot, card)
    await pilot.press("enter")
    await settle(pilot)
    return pilot.app.screen

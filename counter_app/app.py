"""The counter terminal (Textual). Keyboard only: function keys switch between the desk's
jobs (each keeps its state while staff move between them), Esc goes back, Ctrl+Q quits."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from counter_app import clock
from counter_app.config import settings
from counter_app.services.staff import SignedIn


_SCREENS = Path(__file__).resolve().parent.parent / "screens"


@dataclass(frozen=True)
class Feature:
    key: str
    mode: str
    label: str
    screen: str | None  # "module:Class"; None while the job is not built yet


FEATURES = [
    Feature("f2", "patron", "利用者", "screens.patron:PatronScreen"),
    Feature("f3", "search", "資料検索", "screens.search:SearchScreen"),
    Feature("f4", "checkout", "貸出", "screens.checkout:CheckoutScreen"),
    Feature("f5", "checkin", "返却", "screens.checkin:CheckinScreen"),
    Feature("f6", "renew", "延長", "screens.renew:RenewScreen"),
    Feature("f7", "reserve", "予約", "screens.reserve:ReserveScreen"),
    Feature("f8", "webreg", "WEB登録", "screens.webreg:WebRegScreen"),
    Feature("f9", "holds", "取置・回送", "screens.holds:HoldsScreen"),
    Feature("f10", "notices", "通知", "screens.notices:NoticesScreen"),
]


def _factory(path: str):
    """A MODES entry that imports its screen only when the mode is first opened."""

    def make():
        module, cls = path.split(":")
        return getattr(importlib.import_module(module), cls)()

    return make


class CounterApp(App):
    # app.tcss first, then one stylesheet per screen module that needs one.
    CSS_PATH = [_SCREENS / "app.tcss", *sorted(p for p in _SCREENS.glob("*.tcss") if p.name != "app.tcss")]
    TITLE = "カウンター端末"
    MODES = {
        "signin": _factory("screens.signin:SignInScreen"),
        "home": _factory("screens.home:HomeScreen"),
        **{f.mode: _factory(f.screen) for f in FEATURES if f.screen},
    }
    DEFAULT_MODE = "signin"
    ENABLE_COMMAND_PALETTE = False

    BINDINGS = [
        Binding("f1", "help", "ヘルプ"),
        *[Binding(f.key, f"open('{f.mode}')", f.label) for f in FEATURES],
        Binding("escape", "back", "戻る", show=False),
        Binding("ctrl+q", "quit", "終了", priority=True),
    ]

    def __init__(self, staff: SignedIn | None = None, point: str | None = None, signin_hint: str = "") -> None:
        self.staff: SignedIn | None = None
        self.signin_hint = signin_hint
        self.point = (point or settings().terminal_point).upper()
        super().__init__()
        self._start_staff = staff

    def on_mount(self) -> None:
        self.sub_title = "サインインしてください"
        if self._start_staff is not None:
            self.signed_in(self._start_staff)

    # --- sign-in ------------------------------------------------------------------------------

    def signed_in(self, staff: SignedIn) -> None:
        from counter_app.services.points import point_name

        self.staff = staff
        day = clock.today()
        self.sub_title = f"{point_name(self.point)}（{self.point}） {staff.name} {day.month}月{day.day}日（{'月火水木金土日'[day.weekday()]}）"
        self.switch_mode("home")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("open", "help", "back") and self.staff is None:
            return False
        return True

    # --- navigation -------------------------------------------------------------------------

    def feature_list(self) -> list[tuple[str, str, bool]]:
        return [("f1", "ヘルプ", True)] + [(f.key, f.label, f.screen is not None) for f in FEATURES]

    def action_open(self, mode: str) -> None:
        feature = next(f for f in FEATURES if f.mode == mode)
        if feature.screen is None:
            self.notify(f"{feature.label}はまだ使えません（準備中）。", title="準備中", severity="warning")
            return
        if self.current_mode == mode and len(self.screen_stack) > 1:
            return
        self.switch_mode(mode)

    def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self.current_mode not in ("home", "signin"):
            self.switch_mode("home")

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.feature_list()))

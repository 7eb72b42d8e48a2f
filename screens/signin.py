"""Staff sign-in: login and password; the check runs in a worker (argon2 takes a moment)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from counter_app.config import settings
from counter_app.services import ServiceError, run
from counter_app.services.staff import SignedIn, sign_in


class SignInScreen(Screen):
    """The first screen: nothing else is reachable until a staff member signs in."""

    AUTO_FOCUS = "#login"

    class Result(Message):
        def __init__(self, staff: SignedIn | None, error: str = "") -> None:
            self.staff, self.error = staff, error
            super().__init__()

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(id="signin-box"):
                yield Static(settings().library_name, id="signin-title")
                yield Static("カウンター端末　職員サインイン", id="signin-sub")
                if getattr(self.app, "signin_hint", ""):
                    yield Static(self.app.signin_hint, id="signin-hint")
                yield Label("ログインID")
                yield Input(id="login", placeholder="例: tanaka")
                yield Label("パスワード")
                yield Input(id="password", password=True)
                yield Static("", id="signin-error", classes="error")
        yield Footer()

    @on(Input.Submitted, "#login")
    def _to_password(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def _submit(self) -> None:
        login = self.query_one("#login", Input).value
        password = self.query_one("#password", Input).value
        if not login.strip():
            self.query_one("#signin-error", Static).update("ログインIDを入力してください。")
            self.query_one("#login", Input).focus()
            return
        self.query_one("#signin-error", Static).update("確認しています…")
        self._check(login, password)

    @work(thread=True, exclusive=True)
    def _check(self, login: str, password: str) -> None:
        try:
            self.post_message(self.Result(run(sign_in, login, password)))
        except ServiceError as exc:
            self.post_message(self.Result(None, exc.message))
        except Exception as exc:  # database trouble: say so, never a traceback
            self.post_message(self.Result(None, f"サインインできませんでした（{type(exc).__name__}）。"))

    def on_sign_in_screen_result(self, message: Result) -> None:
        password = self.query_one("#password", Input)
        password.value = ""
        if message.staff is None:
            self.query_one("#signin-error", Static).update(message.error)
            password.focus()
            return
        self.query_one("#signin-error", Static).update("")
        self.app.signed_in(message.staff)

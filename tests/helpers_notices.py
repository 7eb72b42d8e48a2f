"""A real SMTP server on loopback for the notices tests (aiosmtpd), and small helpers."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from email import policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler that keeps every delivered message; ``reject`` maps an address to an
    SMTP reply to give at RCPT (e.g. ``"550 5.1.1 no such user"``)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.reject: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.reject.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(msg)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


class SmtpServer:
    """Start/stop a loopback SMTP server on a fixed port (so it can be "down" and come back)."""

    def __init__(self, port: int | None = None, login: tuple[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None
        self.login = login  # (user, password) the server requires, or None
        self.logins: list[str] = []

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        user = auth_data.login.decode()
        ok = (user, auth_data.password.decode()) == self.login
        self.logins.append(f"{user}:{'ok' if ok else 'refused'}")
        return AuthResult(success=ok, handled=False)

    def start(self) -> "SmtpServer":
        extra = {}
        if self.login:
            extra = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **extra)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def use_server(monkeypatch, port: int) -> None:
    monkeypatch.setenv("LIBRARY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LIBRARY_SMTP_PORT", str(port))
    monkeypatch.setenv("LIBRARY_SMTP_TLS", "none")


async def wait_for(pilot, condition, tries=200) -> bool:
    """Let the app run until ``condition()`` holds (workers and messages take a moment)."""
    for _ in range(tries):
        await pilot.pause(0.02)
        if condition():
            return True
    return False


def on_f10(desk, body) -> None:
    """Run ``await body(app, pilot, screen)`` on F10 of a counter app signed in as ``desk``."""
    from counter_app.app import CounterApp

    async def main():
        app = CounterApp(staff=desk, point="KIT")
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f10")
            await body(app, pilot, app.screen)

    asyncio.run(main())

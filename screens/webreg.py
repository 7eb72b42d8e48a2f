"""F8 WEB登録: WEBサービス利用登録 at the counter, keyboard only.

1. Card number + Enter (or Ctrl+N to make a new patron and card first).
2. The patron, the web account and the age rule are shown; an under-age patron gets the
   refusal screen at once, with the date they become eligible.
3. ↑↓ + Enter picks the identity document checked (type only: there is no number field).
4. Enter confirms; the temporary password is shown ONCE in large grouped text, with P to print
   the slip. Closing that screen forgets the password for good.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from counter_app.services import Actor, ServiceError, run, web_accounts
from counter_app.services.patrons import add_patron
from policies import passwords
from policies.registration import FIELD_NAMES, ID_TYPES, ja_date, parse_birth
from policies.idnumber import looks_like_id_number
from screens.labels import WEB_STATUS


def counter_actor(app) -> Actor:
    staff = getattr(app, "staff", None)
    return Actor(staff.id if staff else None, "counter", staff.name if staff else "")


def id_type_options() -> list[Option]:
    return [Option(f"{i}. {label}", id=code) for i, (code, label) in enumerate(ID_TYPES.items(), 1)]


def big_password(password: str) -> str:
    """The password as boxed characters in groups of four, with 大/小/数 under each."""
    groups = passwords.grouped(password).split(" ")
    gap = "   "
    top = gap.join("".join("┏━━━┓" for _ in g) for g in groups)
    mid = gap.join("".join(f"┃ [b]{c}[/b] ┃" for c in g) for g in groups)
    bot = gap.join("".join("┗━━━┛" for _ in g) for g in groups)
    kinds = gap.join("".join(f"  {passwords.char_kind(c)} " for c in g) for g in groups)
    return "\n".join([top, mid, bot, f"[dim]{kinds}[/dim]"])


# --- small modal screens shared with F2 ------------------------------------------------------


class ConfirmScreen(ModalScreen[bool]):
    """Enter/Y = yes, Esc/N = no."""

    BINDINGS = [
        Binding("enter,y", "answer(True)", "はい（Enter）"),
        Binding("escape,n", "answer(False)", "いいえ（Esc）"),
    ]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog webreg-dialog"):
            yield Static(f"[b]{self.title_text}[/b]", classes="panel-title")
            yield Static(self.body, id="confirm-body")
            yield Static("Enter: はい　　Esc: いいえ", classes="hint")
        yield Footer()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class RefusalScreen(ModalScreen[None]):
    """Why the registration cannot go ahead, and (under age) from when it can."""

    BINDINGS = [Binding("escape,enter", "close", "閉じる")]

    def __init__(self, message: str, reasons: list[str], eligible_from: str | None = None) -> None:
        super().__init__()
        self.message, self.reasons, self.eligible_from = message, reasons, eligible_from

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog webreg-dialog", id="refusal-box"):
            yield Static("[b]WEBサービスに登録できません[/b]", id="refusal-title")
            yield Static(self.message, id="refusal-message")
            if self.eligible_from:
                from datetime import date

                day = ja_date(date.fromisoformat(self.eligible_from))
                yield Static(f"登録できる日: [b]{day}[/b] から", id="refusal-date")
            yield Static("Enter / Esc で閉じます", classes="hint")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)


class IdTypeScreen(ModalScreen[str | None]):
    """Pick the identity document checked (used for a reissue from F2)."""

    BINDINGS = [Binding("escape", "cancel", "やめる")]

    def __init__(self, heading: str) -> None:
        super().__init__()
        self.heading = heading

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog webreg-dialog"):
            yield Static(f"[b]{self.heading}[/b]", classes="panel-title")
            yield Static("確認した本人確認書類を ↑↓ で選んで Enter（種類だけを記録します。番号は記録しません）")
            yield OptionList(*id_type_options(), id="idtype-modal-list")
            yield Static("Esc でやめる", classes="hint")
        yield Footer()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PasswordScreen(ModalScreen[None]):
    """The temporary password, shown once. P prints the slip (once); Esc closes for good."""

    BINDINGS = [
        Binding("p,ctrl+p", "print_slip", "伝票を印刷"),
        Binding("escape,enter", "close", "閉じる（再表示できません）"),
    ]

    class Printed(Message):
        def __init__(self, ok: bool, text: str) -> None:
            self.ok, self.text = ok, text
            super().__init__()

    def __init__(self, issued: web_accounts.Issued) -> None:
        super().__init__()
        self._issued: web_accounts.Issued | None = issued
        self._printed = False
        self._printing = False
        self._warned = False

    def compose(self) -> ComposeResult:
        issued = self._issued
        what = "再発行" if issued.reissued else "発行"
        with Vertical(classes="dialog", id="password-box"):
            yield Static(f"[b]仮パスワードを{what}しました[/b]　利用者カード {issued.card}", id="password-title")
            yield Static(big_password(issued.temporary_password), id="password-big")
            yield Static(
                f"有効期限: {ja_date(issued.expires)}　大=英大文字 小=英小文字 数=数字（間の空白は入力しません）",
                id="password-note",
            )
            yield Static(
                "この画面を閉じると二度と表示できません。P で伝票を印刷して利用者にお渡しください。",
                id="password-status",
            )
        yield Footer()

    def action_print_slip(self) -> None:
        if self._issued is None or self._printing:
            return
        if self._printed:
            self.query_one("#password-status", Static).update("伝票は印刷済みです（再印刷はできません）。Esc で閉じます。")
            return
        self._printing = True
        self.query_one("#password-status", Static).update("印刷しています…")
        self._print(self._issued)

    @work(thread=True, exclusive=True)
    def _print(self, issued: web_accounts.Issued) -> None:
        try:
            result = web_accounts.print_password_slip(issued)
            self.post_message(self.Printed(True, result.message))
        except Exception as exc:  # a spool folder that cannot be written, for example
            self.post_message(self.Printed(False, f"伝票を印刷できませんでした（{type(exc).__name__}）。"))

    def on_password_screen_printed(self, message: Printed) -> None:
        self._printing = False
        self._printed = message.ok
        tail = "Esc で閉じます。" if message.ok else "P でもう一度試せます。"
        self.query_one("#password-status", Static).update(f"{message.text}　{tail}")

    def action_close(self) -> None:
        if self._printing:
            return
        if not self._printed and not self._warned:
            self._warned = True
            self.query_one("#password-status", Static).update(
                "[b]伝票をまだ印刷していません。[/b] P で印刷、もう一度 Esc で印刷せずに閉じます（再表示できません）。"
            )
            return
        self._issued = None  # forget the password
        self.dismiss(None)


class NewPatronScreen(ModalScreen[str | None]):
    """利用者カードの新規作成: name, kana, birth date, phone, e-mail → a new card number."""

    BINDINGS = [
        Binding("ctrl+s", "save", "登録"),
        Binding("escape", "cancel", "やめる"),
    ]
    FIELDS = ("name", "kana", "birth", "phone", "email")

    class Saved(Message):
        def __init__(self, card: str | None, error: ServiceError | None = None, other: str = "") -> None:
            self.card, self.error, self.other = card, error, other
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._confirm_for: tuple[str, str] | None = None  # (name, birth) staff confirmed as another person
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog webreg-dialog", id="newpatron-box"):
            yield Static("[b]利用者カードの新規作成[/b]", classes="panel-title")
            for fid, label, hint in (
                ("name", "氏名", "例: 杵築 花子"),
                ("kana", "フリガナ", "例: キツキ ハナコ（ひらがな可）"),
                ("birth", "生年月日", "例: 2013-04-02 または 20130402"),
                ("phone", "電話番号", "例: 0978-62-0001"),
                ("email", "メール（任意）", "連絡用メールアドレス"),
            ):
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="field-label")
                    yield Input(id=f"np-{fid}", placeholder=hint, max_length=80)
            yield Static("", id="np-error", classes="error")
            yield Static("Enter で次の欄、最後の欄で Enter か Ctrl+S で登録、Esc でやめる", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#np-name", Input).focus()

    def _values(self) -> dict[str, str]:
        return {f: self.query_one(f"#np-{f}", Input).value for f in self.FIELDS}

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        fid = (event.input.id or "")[3:]
        if fid == self.FIELDS[-1]:
            self._submit(explicit=False)
        else:
            self.query_one(f"#np-{self.FIELDS[self.FIELDS.index(fid) + 1]}", Input).focus()

    def action_save(self) -> None:
        self._submit(explicit=True)

    def _submit(self, explicit: bool) -> None:
        """Save. Registering over a duplicate-patron warning needs ``explicit`` (Ctrl+S after
        the warning): Enter, the key that moves between fields, never confirms it."""
        if self._busy:
            return
        values = self._values()
        error = self.query_one("#np-error", Static)
        # A 12-digit number never leaves this screen: cleared at once, never sent to a service.
        bad = [f for f, v in values.items() if looks_like_id_number(v)]
        if bad:
            for f in bad:
                self.query_one(f"#np-{f}", Input).value = ""
            self.query_one(f"#np-{bad[0]}", Input).focus()
            names = "・".join(FIELD_NAMES[f] for f in bad)
            error.update(
                f"{names}に12桁以上の数字は入力できません（個人番号など本人確認書類の番号は記録しません）。"
                "入力を消しました。"
            )
            return
        birth = parse_birth(values["birth"])
        confirm = explicit and self._confirm_for == (values["name"].strip(), values["birth"].strip())
        self._busy = True
        error.update("登録しています…")
        self._save(values, birth, confirm)

    @work(thread=True, exclusive=True)
    def _save(self, values: dict, birth, confirm: bool) -> None:
        try:
            patron = run(
                add_patron, values["name"], values["kana"], birth, values["phone"], values["email"],
                actor=counter_actor(self.app), confirm_duplicate=confirm, kana_required=True,
            )
            self.post_message(self.Saved(patron.card))
        except ServiceError as exc:
            self.post_message(self.Saved(None, exc))
        except Exception as exc:
            self.post_message(self.Saved(None, other=f"登録できませんでした（{type(exc).__name__}）。"))

    def on_new_patron_screen_saved(self, message: Saved) -> None:
        self._busy = False
        error = self.query_one("#np-error", Static)
        if message.card:
            self.dismiss(message.card)
            return
        exc = message.error
        if exc is None:
            error.update(message.other)
            return
        if exc.reason == "possible-duplicate":
            values = self._values()
            self._confirm_for = (values["name"].strip(), values["birth"].strip())
            error.update(
                f"{exc.message}\n[b]別の方であれば Ctrl+S を押すと登録します。[/b]（Enter では登録しません。やめるときは Esc）"
            )
            return
        error.update(exc.message)
        fields = exc.extra.get("fields") or []
        first = next((f"#np-{f}" for f in self.FIELDS if f in fields), None)
        if "looks-like-id-number" in exc.reasons:
            for f in fields:
                self.query_one(f"#np-{f}", Input).value = ""
        if first:
            self.query_one(first, Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


# --- the F8 screen ------------------------------------------------------------------------------


class WebRegScreen(Screen):
    BINDINGS = [
        Binding("ctrl+f", "focus_card", "カード番号へ"),
        Binding("ctrl+n", "new_patron", "新規利用者"),
        Binding("ctrl+t", "focus_types", "書類の種類へ"),
    ]
    AUTO_FOCUS = "#webreg-card"

    class Previewed(Message):
        def __init__(self, info: dict | None, error: str = "") -> None:
            self.info, self.error = info, error
            super().__init__()

    class Done(Message):
        def __init__(self, issued: web_accounts.Issued | None, error: ServiceError | None = None, other: str = "") -> None:
            self.issued, self.error, self.other = issued, error, other
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self._info: dict | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="webreg-card-row"):
            yield Label("利用者カード番号", classes="field-label")
            yield Input(id="webreg-card", placeholder="7桁（全角・ハイフン可）", max_length=20)
            yield Static("Ctrl+N: カードを持っていない方（新規作成）", id="webreg-new-hint", classes="hint")
        yield Static(
            "WEBサービス利用登録（来館された本人のみ）。カード番号を入力して Enter を押してください。",
            id="webreg-info", classes="panel",
        )
        with Vertical(id="webreg-types", classes="panel"):
            yield Static("[b]本人確認書類[/b]　確認した書類の種類を ↑↓ で選んで Enter（番号は記録しません）", id="webreg-types-title")
            yield OptionList(*id_type_options(), id="webreg-idtype", disabled=True)
        yield Footer()

    # --- step 1: the patron ---------------------------------------------------------------

    @on(Input.Submitted, "#webreg-card")
    def _lookup(self, event: Input.Submitted) -> None:
        if looks_like_id_number(event.value):
            event.input.value = ""
            self._show_error("利用者カード番号は7桁です。12桁以上の数字（個人番号など）は入力できません。")
            return
        self.query_one("#webreg-info", Static).update("確認しています…")
        self._preview(event.value)

    @work(thread=True, exclusive=True)
    def _preview(self, card: str) -> None:
        try:
            self.post_message(self.Previewed(run(web_accounts.preview, card)))
        except ServiceError as exc:
            self.post_message(self.Previewed(None, exc.message))
        except Exception as exc:
            self.post_message(self.Previewed(None, f"読み込めませんでした（{type(exc).__name__}）。"))

    def _show_error(self, text: str) -> None:
        self._info = None
        self.query_one("#webreg-info", Static).update(f"[red]{text}[/red]")
        self.query_one("#webreg-idtype", OptionList).disabled = True
        self.query_one("#webreg-card", Input).focus()

    def on_web_reg_screen_previewed(self, message: Previewed) -> None:
        if message.info is None:
            self._show_error(message.error)
            return
        p = self._info = message.info
        web = p["web"]
        status = WEB_STATUS.get(web["status"], web["status"])
        if web["status"] == "temporary" and web["expires"]:
            status += f"（有効期限 {web['expires']}）"
        lines = [
            f"[b]{p['name']}[/b]（{p['kana']}）　カード {p['card']}　生年月日 {p['birth_date']}",
            f"WEBサービス: {status}　メール: {web['email'] or '未登録'}",
        ]
        types = self.query_one("#webreg-idtype", OptionList)
        title = self.query_one("#webreg-types-title", Static)
        if p["withdrawn"]:
            lines.append("[red]退会済みのカードです。[/red]")
            types.disabled = True
        elif web["status"] != "none":
            lines.append("[yellow]登録済みです。パスワードを忘れた場合は、本人確認のうえ仮パスワードを再発行します。[/yellow]")
            title.update("[b]再発行: 本人確認書類[/b]　確認した書類の種類を ↑↓ で選んで Enter（番号は記録しません）")
            types.disabled = False
        elif not p["eligible"]:
            lines.append(f"[red]{p['age_message']}[/red]")
            types.disabled = True
        else:
            lines.append("中学生以上: 登録できます。本人確認書類を選んでください。")
            title.update("[b]本人確認書類[/b]　確認した書類の種類を ↑↓ で選んで Enter（番号は記録しません）")
            types.disabled = False
        self.query_one("#webreg-info", Static).update("\n".join(lines))
        if p["withdrawn"]:
            self.app.push_screen(RefusalScreen(f"利用者カード {p['card']} は退会済みです。", ["withdrawn"]), self._after_refusal)
        elif web["status"] == "none" and not p["eligible"]:
            self.app.push_screen(RefusalScreen(p["age_message"], ["under-age"], p["eligible_from"]), self._after_refusal)
        else:
            types.highlighted = 0
            types.focus()

    def _after_refusal(self, _=None) -> None:
        self.query_one("#webreg-card", Input).focus()

    # --- step 2: the ID check and confirmation ---------------------------------------------

    @on(OptionList.OptionSelected, "#webreg-idtype")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if self._info is None:
            return
        id_type = event.option.id
        p = self._info
        reissue = p["web"]["status"] != "none"
        if reissue:
            body = (
                f"{p['name']}（カード {p['card']}）の仮パスワードを再発行します。\n"
                f"本人確認書類: {ID_TYPES[id_type]}\n"
                "今のパスワードとログイン中のWEBセッションは使えなくなります。"
            )
        else:
            body = (
                f"{p['name']}（カード {p['card']}）をWEBサービスに登録します。\n"
                f"本人確認書類: {ID_TYPES[id_type]}\n"
                "仮パスワードを発行して一度だけ表示します。"
            )
        card = p["card"]

        def answered(yes: bool | None) -> None:
            if yes:
                self.query_one("#webreg-info", Static).update("登録しています…")
                self._register(card, id_type, reissue)

        self.app.push_screen(ConfirmScreen("確認", body), answered)

    @work(thread=True, exclusive=True)
    def _register(self, card: str, id_type: str, reissue: bool) -> None:
        try:
            issued = run(web_accounts.register, card, id_type, counter_actor(self.app), reissue)
            self.post_message(self.Done(issued))
        except ServiceError as exc:
            self.post_message(self.Done(None, exc))
        except Exception as exc:
            self.post_message(self.Done(None, other=f"登録できませんでした（{type(exc).__name__}）。"))

    def on_web_reg_screen_done(self, message: Done) -> None:
        if message.issued is None:
            exc = message.error
            if exc is None:
                self._show_error(message.other)
                return
            self.query_one("#webreg-info", Static).update(f"[red]{exc.message}[/red]")
            self.app.push_screen(
                RefusalScreen(exc.message, exc.reasons, exc.extra.get("eligible_from")), self._after_refusal
            )
            return
        issued = message.issued
        self.app.push_screen(PasswordScreen(issued), self._finished)

    def _finished(self, _=None) -> None:
        card = self._info["card"] if self._info else ""
        self._info = None
        self.query_one("#webreg-idtype", OptionList).disabled = True
        self.query_one("#webreg-card", Input).value = ""
        self.query_one("#webreg-info", Static).update(
            f"カード {card} の手続きが終わりました。次の方のカード番号を入力してください。"
        )
        self.query_one("#webreg-card", Input).focus()

    # --- keys ---------------------------------------------------------------------------------

    def action_focus_card(self) -> None:
        self.query_one("#webreg-card", Input).focus()

    def action_focus_types(self) -> None:
        types = self.query_one("#webreg-idtype", OptionList)
        if not types.disabled:
            types.focus()

    def action_new_patron(self) -> None:
        def created(card: str | None) -> None:
            if card:
                self.query_one("#webreg-card", Input).value = card
                self.app.notify(f"利用者カード {card} を作成しました。", title="新規利用者")
                self.query_one("#webreg-info", Static).update("確認しています…")
                self._preview(card)

        self.app.push_screen(NewPatronScreen(), created)

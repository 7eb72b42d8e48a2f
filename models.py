"""Peewee models and database set-up, nothing else.

The database object is deferred: nothing touches a database at import time. The command line
and the app call :func:`open_database` once at start-up; tests call it with a temporary file.

Writes go through :func:`write_tx`, which opens ``BEGIN IMMEDIATE`` on SQLite so that two
terminals never deadlock on a read-then-write upgrade (the second waits for the busy timeout).

Schema: a version number in ``setting`` and the ordered list :data:`MIGRATIONS`. A new
database is created from the models as they are now and stamped with the latest version; an
older database runs the steps after its version. Add a step at the end, never edit one.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)
from playhouse.db_url import connect

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -32000,
}


def _now() -> datetime:
    # Imported lazily: models must not depend on the app package at import time.
    from counter_app.clock import now

    return now()


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


# --- places, catalogue, items ---------------------------------------------------------------


class ServicePoint(BaseModel):
    """受取館・所在館: KIT (main), YAM, OTA. Seeded from data/service_points.csv."""

    code = CharField(max_length=8, unique=True)
    name = CharField()
    kana = CharField(default="")
    is_main = BooleanField(default=False)
    # Weekly closed days as ISO weekday digits, e.g. "1" = Monday closed, "17" = Mon and Sun.
    closed_weekdays = CharField(default="")


class Bib(BaseModel):
    """A bibliographic record (書誌). A reservation is for one of these."""

    id = AutoField()
    source_id = CharField(unique=True)  # NCID for NACSIS records, the library's id otherwise
    title = TextField()
    title_yomi = TextField(default="")
    creator = TextField(default="")
    creator_yomi = TextField(default="")
    yomi_generated = BooleanField(default=False)  # readings made by the importer, not catalogued
    publisher = TextField(default="")
    year = IntegerField(null=True)
    pub_date = CharField(default="")  # as catalogued: "1978.5", "[2004.1]"
    edition = CharField(default="")
    isbn = CharField(default="", index=True)  # ISBN-13 digits, or ""
    ndc = CharField(default="")
    language = CharField(default="")
    material_type = CharField(default="book")  # book | magazine | dvd | cd
    series = TextField(default="")
    volume = CharField(default="")
    note = TextField(default="")
    title_key = TextField(default="", index=True)  # normalised title, for exact-match ranking
    # rowid of this record's row in the search index bib_fts: ((9999 - year) << 32) | id, so that
    # the index's own rowid order is "newest year first" (see counter_app/services/search_index.py)
    fts_key = IntegerField(null=True)
    created_at = DateTimeField(default=_now)


class Item(BaseModel):
    """A physical copy (資料) with its barcode."""

    STATUSES = ("available", "on-loan", "in-transit", "on-hold-shelf", "missing", "withdrawn")

    id = AutoField()
    barcode = CharField(unique=True)
    bib = ForeignKeyField(Bib, backref="items", on_delete="CASCADE")
    home = ForeignKeyField(ServicePoint, backref="owned_items")  # 所蔵館
    location = ForeignKeyField(ServicePoint, backref="present_items")  # 現在地
    status = CharField(default="available", index=True)
    transit_to = ForeignKeyField(ServicePoint, null=True, backref="incoming_items")
    owned = BooleanField(default=True)  # False: borrowed from another library (相互貸借)
    call_number = CharField(default="")
    created_at = DateTimeField(default=_now)


# --- people ---------------------------------------------------------------------------------


class Staff(BaseModel):
    login = CharField(unique=True)
    name = CharField()
    role = CharField(default="desk")  # desk | admin
    password_hash = CharField()
    active = BooleanField(default=True)
    created_at = DateTimeField(default=_now)


class Patron(BaseModel):
    """利用者. The card number is 7 digits, unique, never reused (patrons are withdrawn, not
    deleted)."""

    card = CharField(max_length=7, unique=True)
    name = CharField()
    kana = CharField(default="")
    kana_key = CharField(default="", index=True)  # normalised kana, for telephone look-up
    birth_date = DateField()
    phone = CharField(default="")
    email = CharField(default="")  # contact address (registered on the web or at the counter)
    email_ok = BooleanField(default=True)  # False after a permanent delivery failure
    email_registered_at = DateTimeField(null=True)
    blocked = BooleanField(default=False)
    block_reason = CharField(default="")
    withdrawn = BooleanField(default=False)
    created_at = DateTimeField(default=_now)
    created_by = ForeignKeyField(Staff, null=True, backref="+")


class WebAccount(BaseModel):
    """WEBサービス利用登録. Only an argon2id hash of the password is ever stored."""

    patron = ForeignKeyField(Patron, unique=True, backref="web_accounts", on_delete="CASCADE")
    password_hash = CharField()
    temporary = BooleanField(default=True)
    expires_at = DateTimeField(null=True)  # temporary passwords expire
    locked = BooleanField(default=False)
    failed_logins = IntegerField(default=0)
    session_epoch = IntegerField(default=0)  # bumped to end every open web session
    id_type = CharField()  # license | insurance | student | mynumber | other (type only)
    id_checked_by = ForeignKeyField(Staff, null=True, backref="+")
    id_checked_at = DateTimeField()
    registered_at = DateTimeField(default=_now)
    last_login_at = DateTimeField(null=True)


class ResetToken(BaseModel):
    """Password-reset link (web). Only a hash of the token is stored."""

    account = ForeignKeyField(WebAccount, backref="reset_tokens", on_delete="CASCADE")
    token_hash = CharField(unique=True)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


# --- circulation ----------------------------------------------------------------------------


class Loan(BaseModel):
    """An open loan. Deleted on return (the patron–item link goes with it); statistics go to
    :class:`CirculationCount`. One open loan per item (unique)."""

    item = ForeignKeyField(Item, unique=True, backref="loans")
    patron = ForeignKeyField(Patron, backref="loans")
    branch = ForeignKeyField(ServicePoint, backref="+")  # lent at
    loaned_on = DateField()
    due = DateField(index=True)
    renewals = IntegerField(default=0)
    renewed_on = DateField(null=True)
    renew_channel = CharField(default="")  # counter | phone | web
    staff = ForeignKeyField(Staff, null=True, backref="+")
    created_at = DateTimeField(default=_now)


class CirculationCount(BaseModel):
    """Statistics without people: how many of what moved where on which day."""

    day = DateField()
    branch = CharField()
    event = CharField()  # checkout | checkin | renew
    material_type = CharField()
    ndc_class = CharField(default="")  # first digit of NDC, "" when none
    count = IntegerField(default=0)

    class Meta:
        indexes = ((("day", "branch", "event", "material_type", "ndc_class"), True),)


class Hold(BaseModel):
    """予約 for a title. Queue order is (queued_at, id) among open holds; positions are derived,
    never stored, so they are always 1..n."""

    STATUSES = ("waiting", "in-transit", "ready", "fulfilled", "cancelled", "expired")

    patron = ForeignKeyField(Patron, null=True, backref="holds")  # null once closed
    bib = ForeignKeyField(Bib, backref="holds")
    pickup = ForeignKeyField(ServicePoint, backref="+")
    status = CharField(default="waiting", index=True)
    queued_at = DateTimeField(default=_now)
    item = ForeignKeyField(Item, null=True, backref="holds")  # copy assigned to this hold
    contact = CharField(default="email")  # email | phone
    want_mail = BooleanField(default=False)  # 予約内容メール
    via = CharField(default="counter")  # web | phone | counter
    notified_at = DateTimeField(null=True)  # ready mail sent
    called_at = DateTimeField(null=True)  # ready call made
    deadline = DateField(null=True)  # 取置期限
    closed_at = DateTimeField(null=True)
    staff = ForeignKeyField(Staff, null=True, backref="+")


class Notice(BaseModel):
    """Outbox: written in the same transaction as the change it reports."""

    kind = CharField()  # email-changed | hold-received | hold-ready | hold-expired | reset
    patron = ForeignKeyField(Patron, null=True, backref="notices", on_delete="SET NULL")
    hold = ForeignKeyField(Hold, null=True, backref="notices", on_delete="SET NULL")
    to_addr = CharField()
    subject = CharField()
    body = TextField()
    message_id = CharField(unique=True)
    status = CharField(default="pending", index=True)  # pending | sending | sent | failed
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=_now)
    last_error = TextField(default="")
    claimed_by = CharField(default="")
    claimed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=_now)
    sent_at = DateTimeField(null=True)


class AuditEvent(BaseModel):
    """Who did what. Never a password, a token or an identity-document number."""

    at = DateTimeField(default=_now, index=True)
    staff = ForeignKeyField(Staff, null=True, backref="+")
    action = CharField()
    card = CharField(default="")
    channel = CharField(default="")  # counter | phone | web | cli | kiosk | system
    detail = TextField(default="")  # short JSON


class ClosedDay(BaseModel):
    """A closed date: a public holiday (all points), the year-end closure, or a single date for
    one service point (``point`` null = every point). Weekly closures are on ServicePoint."""

    day = DateField(index=True)
    point = ForeignKeyField(ServicePoint, null=True, backref="closed_days")
    reason = CharField(default="")

    class Meta:
        indexes = ((("day", "point"), True),)


class Setting(BaseModel):
    """Key/value state the database must keep: schema version, card and barcode sequences."""

    key = CharField(primary_key=True)
    value = TextField()


MODELS = [
    ServicePoint,
    Bib,
    Item,
    Staff,
    Patron,
    WebAccount,
    ResetToken,
    Loan,
    CirculationCount,
    Hold,
    Notice,
    AuditEvent,
    ClosedDay,
    Setting,
]


# --- set-up -----------------------------------------------------------------------------------


class DatabaseError(Exception):
    """The database could not be opened or is not usable."""


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def safe_url(url: str) -> str:
    """The URL without a user name or password, for messages."""
    import re

    return re.sub(r"//[^/@]*@", "//", url)


def open_database(url: str):
    """Initialise the deferred database from a URL such as ``sqlite:///library.db``."""
    if url.startswith("sqlite:") or "://" not in url:
        path = url.split("sqlite:///", 1)[1] if url.startswith("sqlite:///") else url
        if not path:
            raise DatabaseError("データベースのパスが空です（例: sqlite:///library.db）")
        database = SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10)
    else:
        try:
            database = connect(url)
        except Exception as exc:  # unknown scheme, missing driver
            if "driver" in str(exc).lower():
                raise DatabaseError(f"{url.split(':', 1)[0]} 用のデータベースドライバがインストールされていません。") from None
            raise DatabaseError(f"データベースURLを使えません: {safe_url(url)}") from None
    db.initialize(database)
    try:  # open it now, so that a wrong file or folder is reported here in plain words
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT count(*) FROM sqlite_master" if is_sqlite() else "SELECT 1")
    except Exception as exc:
        if not db.is_closed():
            db.close()
        text = str(exc)
        url = safe_url(url)
        if "driver" in text.lower():
            raise DatabaseError(f"{url.split(':', 1)[0]} 用のデータベースドライバがインストールされていません。") from None
        if "not a database" in text:
            raise DatabaseError(f"{url} はデータベースファイルではありません。") from None
        if "unable to open" in text:
            raise DatabaseError(f"{url} を開けません（フォルダがない、またはファイルを書き込めません）。") from None
        raise DatabaseError(f"データベースに接続できません: {url}（{type(exc).__name__}）") from None
    return database


def close_database() -> None:
    if db.obj is not None and not db.is_closed():
        db.close()


@contextmanager
def write_tx() -> Iterator[None]:
    """One write transaction: ``BEGIN IMMEDIATE`` on SQLite, a savepoint when nested."""
    if is_sqlite() and db.transaction_depth() == 0:
        with db.atomic("IMMEDIATE"):
            yield
    else:
        with db.atomic():
            yield


# --- schema version and migrations --------------------------------------------------------


FTS_COLUMNS = ("title", "creator", "publisher", "yomi", "isbn", "ndc", "other")


def _create_fts() -> None:
    """Search index: one row per Bib (rowid = Bib.fts_key) holding pre-split, normalised
    tokens; a one-character prefix index makes one-character queries a single lookup."""
    if is_sqlite():
        db.execute_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS bib_fts USING fts5({', '.join(FTS_COLUMNS)}, "
            "tokenize = 'unicode61 remove_diacritics 0', prefix = '1', columnsize = 0)"
        )


def _initial_schema() -> None:
    db.create_tables(MODELS, safe=True)
    _create_fts()


def _search_index_v2() -> None:
    """Field columns (yomi, isbn, ndc), year-ordered rowids, folding of variant kanji and kana:
    the search index is made anew from the records."""
    from playhouse.migrate import SchemaMigrator, migrate as run_migration

    columns = {c.name for c in db.get_columns("bib")}
    if "fts_key" not in columns:
        run_migration(SchemaMigrator.from_database(db.obj).add_column("bib", "fts_key", IntegerField(null=True)))
    if is_sqlite():
        db.execute_sql("DROP TABLE IF EXISTS bib_fts")
        _create_fts()
        from counter_app.services import search_index  # lazily: models do not import the app

        search_index.rebuild()


# Each step upgrades from version i to i+1. Step 1 is the initial schema.
def _reindex_for_new_folds() -> None:
    """The text folding changed (ニッポン and ニホン fold together): index the records anew."""
    if is_sqlite():
        from counter_app.services import search_index  # lazily: models do not import the app

        search_index.rebuild()


MIGRATIONS: list[Callable[[], None]] = [
    _initial_schema,
    _search_index_v2,
    _reindex_for_new_folds,
]

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version() -> int:
    if not Setting.table_exists():
        return 0
    row = Setting.get_or_none(Setting.key == "schema_version")
    return int(row.value) if row else 0


def migrate() -> tuple[int, int]:
    """Create or upgrade the schema. Returns (version before, version after). Idempotent."""
    with write_tx():
        before = schema_version()
        if before > SCHEMA_VERSION:
            raise DatabaseError(
                f"このデータベースは新しい版のものです（版 {before}、このプログラムは {SCHEMA_VERSION} まで）"
            )
        if before == 0:
            _initial_schema()  # a new database gets today's models in one go
        else:
            for step in MIGRATIONS[before:]:
                step()
        Setting.insert(key="schema_version", value=str(SCHEMA_VERSION)).on_conflict_replace().execute()
    return before, SCHEMA_VERSION

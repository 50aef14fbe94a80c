"""The central service's state on SQLAlchemy: an SQLite file, or a PostgreSQL database.

Every change of the access list takes the next number of one change sequence; a row keeps the
number of its last change, and a deleted patron stays as a tombstone until the change log is
compacted. A cursor names a point in that sequence (``c-<seq>``), or, during a full sync, the
sequence at its start and the last key sent (``f-<seq>-<key>``). Cursors from before the last
compaction are gone (410), because the tombstones they would need are.

Writers take the sequence row first (``FOR UPDATE`` on PostgreSQL; on SQLite one writer at a time in
this process, and the file's own lock against any other), so changes are numbered in commit order
and a delta never skips a change that commits late.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from kiosk.domain.privacy import Pseudonymizer
from sync.central.server import config
from sync.central.server.tables import (
    access,
    audit,
    calendars,
    config_revisions,
    credentials,
    enrolments,
    events,
    heartbeats,
    meta,
)
from sync.central.server.validate import LEARNED, REVOKED, STAFF_ACTION, USED

MIGRATIONS = Path(__file__).with_name("migrations")
# A heartbeat every 30 s from 200 terminals is half a million rows a day: a week of them is enough
# to see how a terminal has been (events are kept for the retention asked for).
HEARTBEATS_KEPT = dt.timedelta(days=7)
ACCESS_FIELDS = ("key", "pin_verifier", "category", "birth_date", "blocked", "consent", "expires", "deleted")
_FULL_CURSOR = re.compile(r"f-(\d{1,18})-([0-9a-f]{32})")
_CHANGES_CURSOR = re.compile(r"c-(\d{1,18})")


class CursorGone(Exception):
    """The cursor is not one of ours, or older than the last compaction."""


class EventConflict(Exception):
    """An event id was stored before with another body."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id} was received before with a different body")
        self.event_id = event_id


@dataclass(frozen=True)
class Caller:
    """The terminal a request came from, and the branch it acts for."""

    terminal: str
    branch: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def canonical(value: Any) -> str:
    """``value`` as JSON text, the same for the same value (dates and times as ISO strings)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_iso_value)


def _iso_value(value: object) -> str:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def etag_of(body: Any) -> str:
    return '"' + hashlib.sha256(canonical(body).encode()).hexdigest()[:32] + '"'


def database_url(where: str | Path) -> str:
    """A SQLAlchemy URL: ``where`` as given when it is one (``postgresql://...``), else an SQLite file."""
    text = str(where)
    if "://" in text:
        return text.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://",
                                                                                  "postgresql+psycopg://", 1)
    return f"sqlite:///{Path(text).resolve()}"


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                  pool_size=4, max_overflow=4)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-256"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (creating it when empty)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


class CentralStore:
    """The service's tables. Values in and out are JSON-shaped (as on the wire). Thread-safe."""

    def __init__(self, where: str | Path, *, access_list_key: bytes | None = None,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self._now = now
        url = database_url(where)
        if url.startswith("sqlite"):
            path = Path(url.removeprefix("sqlite:///"))
            path.touch(mode=0o600, exist_ok=True)
            path.chmod(0o600)  # patrons' tokens and PIN verifiers: the owner's alone
        self.engine = _engine(url)
        self.dialect = self.engine.dialect.name
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else None
        try:
            migrate(self.engine)
            self.make_partitions()
            with self._transaction() as db:
                stored = self._meta(db, "access_list_key")
                if stored is None:
                    key = access_list_key or secrets.token_bytes(32)
                    self._set_meta(db, "access_list_key", key.hex())
                    self._set_meta(db, "seq", "0")
                    self._set_meta(db, "compacted", "0")
                    self.created = True
                else:
                    if access_list_key is not None and access_list_key.hex() != stored:
                        raise ValueError(f"{where}: holds another access-list key than the one given")
                    self.created = False
                self.access_list_key = bytes.fromhex(self._meta(db, "access_list_key") or "")
                # A card's token everywhere on the service: the access list's key, the staff and
                # revocation lists, print-job owners, balances (a terminal hashes a card the same way).
                self.card_token = Pseudonymizer(self.access_list_key)
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    def audit(self, who: str, action: str, target: str, detail: str = "") -> None:
        """Write down who did what to what (the audit log)."""
        with self._transaction() as db:
            db.execute(sa.insert(audit).values(at=self._now(), who=who[:128], action=action[:64],
                                               target=target[:128], detail=detail[:2000]))

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        """The newest entries of the audit log first."""
        with self._reading() as db:
            rows = db.execute(sa.select(audit).order_by(audit.c.number.desc()).limit(limit)).mappings().all()
        return [dict(row) for row in rows]

    def note(self, name: str) -> str | None:
        """A small value the service keeps about itself (a configuration on trial, ...)."""
        with self._reading() as db:
            return self._meta(db, f"note.{name}")

    def set_note(self, name: str, value: str | None) -> None:
        with self._transaction() as db:
            if value is None:
                db.execute(sa.delete(meta).where(meta.c.name == f"note.{name}"))
            else:
                self._set_meta(db, f"note.{name}", value)

    def terminals(self, branch: str | None = None) -> list[tuple[str, str]]:
        """(terminal, branch) of the enrolled terminals (of ``branch``), by name."""
        with self._reading() as db:
            query = sa.select(credentials.c.terminal, credentials.c.branch).where(
                credentials.c.revoked_at.is_(None)).order_by(credentials.c.terminal)
            if branch is not None:
                query = query.where(credentials.c.branch == branch)
            return [(str(t), str(b)) for t, b in db.execute(query)]

    def secret(self, name: str) -> str:
        """A secret of the service (hex), made the first time it is asked for and kept."""
        with self._transaction() as db:
            found = self._meta(db, f"secret.{name}", lock=True)
            if found is None:
                found = secrets.token_hex(32)
                self._set_meta(db, f"secret.{name}", found)
        return found

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        if self._write_lock is None:
            with self.engine.begin() as db:
                yield db
            return
        with self._write_lock, self.engine.begin() as db:
            yield db

    def writing(self) -> AbstractContextManager[Connection]:
        """A write transaction (one writer at a time on SQLite)."""
        return self._transaction()

    def reading(self) -> AbstractContextManager[Connection]:
        """A read transaction."""
        return self._reading()

    @contextmanager
    def _reading(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A read transaction; ``snapshot``: every statement sees the same state (PostgreSQL's
        REPEATABLE READ; an SQLite read transaction is one snapshot anyway)."""
        with self.engine.connect() as db:
            if snapshot and self.dialect == "postgresql":
                db = db.execution_options(isolation_level="REPEATABLE READ")
            with db.begin():
                yield db

    def _upsert(self, db: Connection, table: sa.Table, rows: list[dict[str, Any]], key: str) -> None:
        if not rows:
            return
        insert = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)
        update = {name: insert.excluded[name] for name in rows[0] if name != key}
        db.execute(insert.on_conflict_do_update(index_elements=[key], set_=update), rows)

    @staticmethod
    def _meta(db: Connection, name: str, *, lock: bool = False) -> str | None:
        query = sa.select(meta.c.value).where(meta.c.name == name)
        value = db.execute(query.with_for_update() if lock else query).scalar()
        return None if value is None else str(value)

    def _set_meta(self, db: Connection, name: str, value: str) -> None:
        self._upsert(db, meta, [{"name": name, "value": value}], "name")

    def _next_seq(self, db: Connection, count: int = 1) -> int:
        """The first of ``count`` new sequence numbers (the sequence row stays locked until commit)."""
        current = int(self._meta(db, "seq", lock=True) or 0)
        self._set_meta(db, "seq", str(current + count))
        return current + 1

    # -- terminals: enrolment and credentials ----------------------------------------------------

    def enrolment_token(self, terminal: str, branch: str, valid_for: dt.timedelta) -> str:
        """A one-time token with which ``terminal`` (of ``branch``) can enrol until it expires."""
        token = secrets.token_urlsafe(24)
        with self._transaction() as db:
            db.execute(sa.insert(enrolments).values(token_hash=_digest(token), terminal=terminal,
                                                    branch=branch,
                                                    expires_at=self._now() + valid_for))
        return token

    def enrol(self, terminal: str, token: str) -> tuple[Caller, str] | None:
        """The terminal's new credential for an unused, unexpired token made for it (any credential it
        had before stops working); None otherwise."""
        now, key = self._now(), _digest(token)
        with self._transaction() as db:
            row = db.execute(sa.select(enrolments.c.terminal, enrolments.c.branch, enrolments.c.expires_at,
                                       enrolments.c.used_at)
                             .where(enrolments.c.token_hash == key).with_for_update()).first()
            if (row is None or row.terminal != terminal or row.used_at is not None
                    or row.expires_at <= now):
                return None
            db.execute(sa.update(enrolments).where(enrolments.c.token_hash == key).values(used_at=now))
            credential = self._issue(db, terminal, row.branch, now)
        return Caller(terminal, row.branch), credential

    def issue_credential(self, terminal: str, branch: str, credential: str | None = None) -> str:
        """A credential for ``terminal`` without an enrolment (the built-in demo service, tests);
        ``credential``: this one instead of a new random one."""
        with self._transaction() as db:
            return self._issue(db, terminal, branch, self._now(), credential)

    def _issue(self, db: Connection, terminal: str, branch: str, now: dt.datetime,
               credential: str | None = None) -> str:
        credential = credential or secrets.token_urlsafe(32)
        row = {"terminal": terminal, "branch": branch, "secret_hash": _digest(credential), "created_at": now,
               "revoked_at": None}
        self._upsert(db, credentials, [row], "terminal")
        return credential

    def revoke(self, terminal: str) -> bool:
        """The terminal's credential stops working; False if it had none that worked."""
        with self._transaction() as db:
            done = db.execute(sa.update(credentials).where(credentials.c.terminal == terminal,
                                                           credentials.c.revoked_at.is_(None))
                              .values(revoked_at=self._now()))
        return bool(done.rowcount)

    def caller(self, credential: str) -> Caller | None:
        """The terminal a credential belongs to, if it is one and not revoked."""
        with self._reading() as db:
            row = db.execute(sa.select(credentials.c.terminal, credentials.c.branch)
                             .where(credentials.c.secret_hash == _digest(credential),
                                    credentials.c.revoked_at.is_(None))).first()
        return None if row is None else Caller(row.terminal, row.branch)

    # -- configuration -------------------------------------------------------------------------

    def add_revision(self, level: str, scope: str, settings: Mapping[str, Any], *, author: str,
                     reason: str = "") -> int:
        """Save a new revision of a layer once it is checked (:class:`ConfigRefused` says what is
        wrong): the layer alone, and what it makes of every terminal it reaches. Its number."""
        config.check_scope(level, scope)
        config.check_layer(settings)
        if not 1 <= len(author) <= 128:
            raise config.ConfigRefused("author: who made the change (1 to 128 characters)")
        with self._transaction() as db:
            parent = self._newest(db, level, scope)
            for terminal, branch in self._reached(db, level, scope):
                layers = self._layers(db, terminal, branch, replacing=(level, scope, dict(settings)))
                config.check_terminal(config.effective(layer for _, layer in layers), terminal, branch)
            saved = db.execute(sa.insert(config_revisions).values(
                level=level, scope=scope, settings=canonical(settings), author=author, reason=reason,
                parent=parent[0] if parent else None, created_at=self._now()))
            assert saved.inserted_primary_key is not None
            return int(saved.inserted_primary_key[0])

    def revisions(self, level: str, scope: str = "") -> list[dict[str, Any]]:
        """A layer's revisions, newest first: number, settings, author, reason, parent, created_at."""
        with self._reading() as db:
            rows = db.execute(sa.select(config_revisions).where(config_revisions.c.level == level,
                                                                config_revisions.c.scope == scope)
                              .order_by(config_revisions.c.number.desc())).mappings().all()
        return [{"number": row["number"], "settings": json.loads(row["settings"]), "author": row["author"],
                 "reason": row["reason"], "parent": row["parent"], "created_at": _iso(row["created_at"])}
                for row in rows]

    def set_terminal_config(self, terminal_id: str, settings: Mapping[str, Any], *,
                            author: str = "seed") -> int:
        """A terminal-level revision (the seed's and the tests' way)."""
        return self.add_revision("terminal", terminal_id, settings, author=author)

    def terminal_config(self, terminal_id: str, branch: str | None = None) -> dict[str, Any] | None:
        """The terminal's configuration (its layers merged) and the revision that names it
        ("d<n>.m<n>.b<n>.t<n>", 0 for a layer without one); None when no layer applies."""
        with self._reading() as db:
            branch = branch if branch is not None else self._branch_of(db, terminal_id)
            layers = self._layers(db, terminal_id, branch)
        if not any(number for number, _ in layers):
            return None
        revision = ".".join(f"{level[0]}{number}"
                            for level, (number, _) in zip(config.LEVELS, layers, strict=True))
        return {"terminal_id": terminal_id, "settings": config.effective(layer for _, layer in layers),
                "access_list_key": self.access_list_key.hex(), "revision": revision}

    def branch_settings(self, branch: str) -> dict[str, Any]:
        """What the defaults, the municipality's and the branch's layers make together (a terminal's
        own file and layer come over it)."""
        with self._reading() as db:
            layers = [self._newest(db, level, scope) for level, scope in
                      (("defaults", ""), ("municipality", ""), ("branch", branch))]
        return config.effective(layer for _, layer in (found or (0, {}) for found in layers))

    def _newest(self, db: Connection, level: str, scope: str) -> tuple[int, dict[str, Any]] | None:
        row = db.execute(sa.select(config_revisions.c.number, config_revisions.c.settings)
                         .where(config_revisions.c.level == level, config_revisions.c.scope == scope)
                         .order_by(config_revisions.c.number.desc()).limit(1)).first()
        return None if row is None else (int(row[0]), json.loads(row[1]))

    def _layers(self, db: Connection, terminal: str, branch: str | None,
                replacing: tuple[str, str, dict[str, Any]] | None = None) -> list[tuple[int, dict[str, Any]]]:
        """(number, settings) of each level's newest revision for the terminal; (0, {}) where none."""
        scopes = {"defaults": "", "municipality": "", "branch": branch, "terminal": terminal}
        layers = []
        for level in config.LEVELS:
            scope = scopes[level]
            if replacing is not None and (level, scope) == replacing[:2]:
                layers.append((-1, replacing[2]))
                continue
            found = self._newest(db, level, scope) if scope is not None else None
            layers.append(found or (0, {}))
        return layers

    def _reached(self, db: Connection, level: str, scope: str) -> list[tuple[str, str]]:
        """(terminal, branch) of the known terminals a layer reaches; a made-up one where none is
        known yet, so the layer is still checked as a terminal would run it."""
        known = {row[0]: row[1] for row in db.execute(sa.select(credentials.c.terminal, credentials.c.branch)
                                                      .where(credentials.c.revoked_at.is_(None)))}
        configured = sa.select(config_revisions.c.scope).where(config_revisions.c.level == "terminal")
        for row in db.execute(configured.distinct()):
            known.setdefault(row[0], "")
        if level == "terminal":
            return [(scope, known.get(scope) or "unknown-branch")]
        reached = [(t, b or "unknown-branch") for t, b in known.items() if level != "branch" or b == scope]
        return reached or [(config.ANY_TERMINAL, scope if level == "branch" else "any-branch")]

    @staticmethod
    def _branch_of(db: Connection, terminal: str) -> str | None:
        found = db.execute(sa.select(credentials.c.branch).where(credentials.c.terminal == terminal)).scalar()
        return None if found is None else str(found)

    # -- calendars -----------------------------------------------------------------------------

    def set_calendar(self, branch: str, calendar: Mapping[str, Any]) -> None:
        with self._transaction() as db:
            self._upsert(db, calendars, [{"branch": branch, "calendar": canonical(calendar)}], "branch")

    def calendar(self, branch: str) -> dict[str, Any] | None:
        with self._reading() as db:
            found = db.execute(sa.select(calendars.c.calendar).where(calendars.c.branch == branch)).scalar()
        return None if found is None else dict(json.loads(found))

    # -- the access list -----------------------------------------------------------------------

    def upsert_entries(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Store entries (wire shape, ``deleted`` ignored) as changes; how many."""
        now = self._now()
        rows = [{"key": e["key"], "pin_verifier": e["pin_verifier"], "category": e["category"],
                 "birth_date": e.get("birth_date"), "blocked": bool(e["blocked"]),
                 "consent": bool(e["consent"]), "expires": e["expires"], "deleted": False,
                 "used_at": now, "learned_at": None} for e in entries]
        with self._transaction() as db:
            first = self._next_seq(db, len(rows))
            for start in range(0, len(rows), 5000):  # bounded statements for half a million rows
                chunk = rows[start:start + 5000]
                self._upsert(db, access, [{**row, "seq": first + start + index}
                                          for index, row in enumerate(chunk)], "key")
        return len(rows)

    def delete_entry(self, key: str) -> bool:
        """Make the entry a tombstone; False if there was no live entry."""
        with self._transaction() as db:
            seq = self._next_seq(db)  # first: the sequence row is the writers' lock
            live = db.execute(sa.select(access.c.key).where(access.c.key == key, access.c.deleted.is_(False))
                              .with_for_update()).first()
            if live is None:
                self._set_meta(db, "seq", str(seq - 1))
                return False
            db.execute(sa.update(access).where(access.c.key == key).values(deleted=True, seq=seq))
        return True

    def compact(self, keep_changes: int = 0) -> None:
        """Forget tombstones older than the last ``keep_changes`` changes; older cursors are then gone."""
        with self._transaction() as db:
            horizon = max(0, int(self._meta(db, "seq", lock=True) or 0) - keep_changes)
            if horizon > int(self._meta(db, "compacted") or 0):
                db.execute(sa.delete(access).where(access.c.deleted.is_(True), access.c.seq <= horizon))
                self._set_meta(db, "compacted", str(horizon))

    def access_page(self, cursor: str | None, limit: int) -> dict[str, Any]:
        """One page of the access list (wire shape); :class:`CursorGone` for a cursor we cannot serve."""
        with self._reading(snapshot=True) as db:
            now, compacted = int(self._meta(db, "seq") or 0), int(self._meta(db, "compacted") or 0)
            if cursor is None:
                return self._full_page(db, now, "", limit)
            if full := _FULL_CURSOR.fullmatch(cursor):
                snapshot, after = int(full.group(1)), full.group(2)
            elif changes := _CHANGES_CURSOR.fullmatch(cursor):
                snapshot, after = int(changes.group(1)), None
            else:
                raise CursorGone(cursor)
            if not compacted <= snapshot <= now:
                raise CursorGone(cursor)
            if after is not None:
                return self._full_page(db, snapshot, after, limit)
            rows = db.execute(sa.select(*(access.c[name] for name in ACCESS_FIELDS), access.c.seq)
                              .where(access.c.seq > snapshot).order_by(access.c.seq)
                              .limit(limit + 1)).mappings().all()
            page = rows[:limit]
            last = page[-1]["seq"] if page else snapshot
            return {"entries": [_entry(row) for row in page], "cursor": f"c-{last}",
                    "more": len(rows) > limit, "full": False}

    @staticmethod
    def _full_page(db: Connection, snapshot: int, after: str, limit: int) -> dict[str, Any]:
        rows = db.execute(sa.select(*(access.c[name] for name in ACCESS_FIELDS))
                          .where(access.c.deleted.is_(False), access.c.key > after)
                          .order_by(access.c.key).limit(limit + 1)).mappings().all()
        page, more = rows[:limit], len(rows) > limit
        # Rows changed during the full sync are sent again by the first delta after it.
        cursor = f"f-{snapshot}-{page[-1]['key']}" if more else f"c-{snapshot}"
        return {"entries": [_entry(row) for row in page], "cursor": cursor, "more": more, "full": True}

    # -- events and heartbeats -----------------------------------------------------------------

    def add_events(self, terminal: str, batch: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
        """Store the batch at once; (accepted, duplicates). :class:`EventConflict` stores none of it."""
        accepted: list[str] = []
        duplicates: list[str] = []
        received = self._now()
        with self._transaction() as db:
            for event in batch:
                if self.dialect == "postgresql":  # the id's uniqueness is this check's (partitioned table)
                    db.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:id))"), {"id": event["id"]})
                body = (terminal, event["kind"], event["at"], canonical(event["payload"]))
                row = db.execute(sa.select(events.c.terminal, events.c.kind, events.c.at, events.c.payload)
                                 .where(events.c.id == event["id"])).first()
                if row is None:
                    db.execute(sa.insert(events).values(
                        id=event["id"], terminal=terminal, kind=event["kind"], at=event["at"],
                        payload=body[3], received_at=received))
                    accepted.append(event["id"])
                    at = dt.datetime.fromisoformat(event["at"])
                    if event["kind"] == STAFF_ACTION:
                        db.execute(sa.insert(audit).values(at=at, **_staff_audit(terminal, event["payload"])))
                    self._merge(db, event["kind"], event["payload"], at)
                elif tuple(row) == body:
                    duplicates.append(event["id"])
                else:
                    raise EventConflict(event["id"])
        return accepted, duplicates

    def _merge(self, db: Connection, kind: str, payload: Mapping[str, Any], at: dt.datetime) -> None:
        """What a terminal learned from the LMS, into the shared access list: an entry (new or
        changed: a change for every terminal), a confirmation (only ``used_at``), or a card the LMS
        no longer knows (a tombstone). A check older than the one an entry was learned from changes
        nothing."""
        if kind not in (LEARNED, USED, REVOKED):
            return
        seq = self._next_seq(db) if kind != USED else 0  # first: the sequence row is the writers' lock
        key = payload["key"]
        current = db.execute(sa.select(access.c.learned_at, access.c.deleted, access.c.used_at)
                             .where(access.c.key == key).with_for_update()).first()
        learned_at = current[0] if current is not None else None
        newer = learned_at is None or at >= learned_at
        if kind == USED or not newer:
            if current is not None and not current[1]:
                used = current[2]
                db.execute(sa.update(access).where(access.c.key == key)
                           .values(used_at=at if used is None else max(used, at)))
        elif kind == LEARNED:
            row = {name: payload[name] for name in ACCESS_FIELDS if name not in ("key", "deleted")}
            self._upsert(db, access, [{**row, "key": key, "birth_date": payload.get("birth_date"),
                                       "deleted": False, "seq": seq, "used_at": at, "learned_at": at}], "key")
            return
        elif current is not None and not current[1]:
            db.execute(sa.update(access).where(access.c.key == key)
                       .values(deleted=True, seq=seq, learned_at=at))
            return
        if kind != USED:
            self._set_meta(db, "seq", str(seq - 1))  # nothing changed: give the number back

    def purge_access(self, unused_for: dt.timedelta, now: dt.datetime | None = None) -> int:
        """Tombstone entries nobody confirmed for ``unused_for``, and those past their ``expires``
        day; how many."""
        now = now or self._now()
        cutoff, today = now - unused_for, now.date().isoformat()
        with self._transaction() as db:
            stale = [key for (key,) in db.execute(
                sa.select(access.c.key).where(access.c.deleted.is_(False),
                                              sa.or_(access.c.used_at < cutoff, access.c.expires < today)))]
            if not stale:
                return 0
            first = self._next_seq(db, len(stale))
            for index, key in enumerate(stale):
                db.execute(sa.update(access).where(access.c.key == key)
                           .values(deleted=True, seq=first + index))
        return len(stale)

    def make_partitions(self) -> None:
        """On PostgreSQL: the events partitions of this month and the next (made ahead, so that no
        event lands in the default partition)."""
        if self.dialect != "postgresql":
            return
        month = self._now().date().replace(day=1)
        with self._transaction() as db:
            for first in (month, (month + dt.timedelta(days=32)).replace(day=1)):
                following = (first + dt.timedelta(days=32)).replace(day=1)
                db.execute(sa.text(f"CREATE TABLE IF NOT EXISTS events_{first:%Y_%m} PARTITION OF events "
                                   f"FOR VALUES FROM ('{first.isoformat()}') TO ('{following.isoformat()}')"))

    def purge_history(self, older_than: dt.timedelta,
                      heartbeats_older_than: dt.timedelta = HEARTBEATS_KEPT) -> tuple[int, int]:
        """Delete events received longer ago than ``older_than`` and heartbeats than
        ``heartbeats_older_than`` (each terminal's last heartbeat stays: it says when the terminal
        was last heard of); (events, heartbeats) deleted."""
        cutoff, beats_cutoff = self._now() - older_than, self._now() - min(older_than, heartbeats_older_than)
        with self._transaction() as db:
            latest = sa.select(sa.func.max(heartbeats.c.number)).group_by(heartbeats.c.terminal)
            gone_events = db.execute(sa.delete(events).where(events.c.received_at < cutoff)).rowcount
            gone_beats = db.execute(sa.delete(heartbeats).where(heartbeats.c.received_at < beats_cutoff,
                                                                heartbeats.c.number.not_in(latest))).rowcount
        return int(gone_events or 0), int(gone_beats or 0)

    def events(self) -> list[dict[str, Any]]:
        with self._reading() as db:
            rows = db.execute(sa.select(events.c.id, events.c.terminal, events.c.kind, events.c.at,
                                        events.c.payload, events.c.received_at)
                              .order_by(events.c.number)).mappings().all()
        return [{**row, "payload": json.loads(row["payload"]), "received_at": _iso(row["received_at"])}
                for row in rows]

    def entries_since(self, since: dt.datetime) -> list[tuple[str, dt.datetime]]:
        """(branch, when) of every entry a door let in since ``since``: counts only, from the
        pseudonymous events (no token is read). Chosen by arrival (the events' partition key; an
        entry arrives after it happened) and then by the door's own time."""
        with self._reading() as db:
            rows = db.execute(sa.select(credentials.c.branch, events.c.at, events.c.payload)
                              .join(credentials, credentials.c.terminal == events.c.terminal)
                              .where(events.c.kind == "entry", events.c.received_at >= since)).all()
        found = []
        for branch, at, payload in rows:
            when = dt.datetime.fromisoformat(at)
            if when >= since and json.loads(payload).get("decision") == "allowed":
                found.append((str(branch), when))
        return found

    def add_heartbeat(self, terminal: str, body: Mapping[str, Any]) -> None:
        with self._transaction() as db:
            db.execute(sa.insert(heartbeats).values(terminal=terminal, body=canonical(body),
                                                    received_at=self._now()))

    def heartbeats(self) -> list[dict[str, Any]]:
        with self._reading() as db:
            rows = db.execute(sa.select(heartbeats.c.terminal, heartbeats.c.body, heartbeats.c.received_at)
                              .order_by(heartbeats.c.number)).all()
        return [{"terminal": terminal, "received_at": _iso(at), **json.loads(body)}
                for terminal, body, at in rows]

def _entry(row: sa.RowMapping) -> dict[str, Any]:
    return {name: bool(row[name]) if name in ("blocked", "consent", "deleted") else row[name]
            for name in ACCESS_FIELDS}


def _iso(value: dt.datetime) -> str:
    """A stored time as RFC 3339 (the UtcDateTime columns give it back with its zone)."""
    return value.isoformat(timespec="seconds")


def _staff_audit(terminal: str, payload: Mapping[str, Any]) -> dict[str, str]:
    """The audit log's line for what staff did in staff mode at a terminal: the terminal, the role
    and the start of the staff card's token (never a name)."""
    who = f"terminal {terminal}: {payload.get('role', '?')} {str(payload.get('staff', ''))[:8]}"
    return {"who": who[:128], "action": f"terminal.{payload.get('action', '?')}"[:64],
            "target": str(payload.get("target", ""))[:128], "detail": str(payload.get("detail", ""))[:2000]}

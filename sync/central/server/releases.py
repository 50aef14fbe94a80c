"""Releases of the kiosk on the central service: the wheels an operator adds (``central-admin release
add``), the offer of one version to all terminals, a branch's or one terminal, and what each terminal
is told to run.

A wheel is kept in the database, bytes and all, so that every instance of the service over one
database serves the same file, and a PostgreSQL service needs no shared folder. It is taken only when
it is a wheel of library-kiosk whose metadata names its version and whose file name says the same
(pip refuses it otherwise); its SHA-256 and size are kept beside it and handed to the terminals with
the offer. A terminal runs the narrowest offer that reaches it (its own, else its branch's, else the
one to all terminals) and may download that version's wheel only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from kiosk.domain.wheel import NotAKioskWheel, wheel_name, wheel_version
from sync.central.server.store import CentralStore
from sync.central.server.tables import credentials, heartbeats, release_offers, releases

MAX_WHEEL_BYTES = 100 * 1024 * 1024  # the kiosk's wheel is a few MB; a bigger file is not one of ours
Scope = Literal["all", "branch", "terminal"]
SCOPES: tuple[Scope, ...] = ("terminal", "branch", "all")  # the narrowest first


class ReleaseRefused(ValueError):
    """A wheel that is not a release of the kiosk, or an offer of a version the service has not."""


@dataclass(frozen=True)
class Release:
    version: str
    filename: str
    sha256: str
    size: int
    added_at: dt.datetime
    added_by: str


@dataclass(frozen=True)
class Offer:
    scope_kind: Scope
    scope: str  # the branch or terminal; "" for all
    version: str
    offered_at: dt.datetime
    offered_by: str

    @property
    def reaches(self) -> str:
        return "all terminals" if self.scope_kind == "all" else f"{self.scope_kind} {self.scope}"


@dataclass(frozen=True)
class TerminalRelease:
    """What ``release list`` shows of a terminal: the version offered to it and the one it runs."""

    terminal: str
    branch: str
    offered: str | None
    running: str | None  # as its last heartbeat said; None when it never said
    seen_at: dt.datetime | None


def offer_document(release: Release) -> dict[str, Any]:
    """The offer as the terminal's configuration document carries it (the contract's ReleaseOffer)."""
    return {"version": release.version, "sha256": release.sha256, "size": release.size,
            "url": f"/v1/releases/{release.version}/wheel"}


class Releases:
    def __init__(self, store: CentralStore) -> None:
        self._store = store

    # -- the operator ------------------------------------------------------------------------------
    def add(self, wheel: Path, *, by: str) -> Release:
        """Keep ``wheel`` as the release of its version; :class:`ReleaseRefused` in words when it is
        not a wheel of the kiosk, or that version is here already with other bytes."""
        try:
            size = wheel.stat().st_size
            if size > MAX_WHEEL_BYTES:
                raise ReleaseRefused(f"{wheel}: {size} bytes; a wheel of the kiosk is far smaller")
            data = wheel.read_bytes()
        except OSError as exc:
            raise ReleaseRefused(f"{wheel}: cannot be read ({exc.strerror or exc})") from None
        try:
            version = wheel_version(io.BytesIO(data), str(wheel))
        except NotAKioskWheel as exc:
            raise ReleaseRefused(str(exc)) from None
        if wheel.name != wheel_name(version):
            raise ReleaseRefused(f"{wheel}: its metadata says version {version}, so pip takes it only "
                                 f"as {wheel_name(version)} (a pure-Python wheel of library-kiosk)")
        digest = hashlib.sha256(data).hexdigest()
        now = dt.datetime.now(dt.UTC)
        with self._store.writing() as db:
            kept = db.execute(sa.select(releases.c.sha256).where(releases.c.version == version)).scalar()
            if kept is not None and kept != digest:
                raise ReleaseRefused(f"version {version} is here already with other contents (sha256 "
                                     f"{kept[:12]}…): a version is never replaced; build a new one")
            if kept is None:
                db.execute(sa.insert(releases).values(version=version, filename=wheel.name, sha256=digest,
                                                      size=len(data), wheel=data, added_at=now,
                                                      added_by=by[:128]))
        if kept is None:
            self._store.audit(by, "release_added", version,
                              f"{wheel.name}, {len(data)} bytes, sha256 {digest}")
        found = self.release(version)
        assert found is not None
        return found

    def offer(self, version: str, scope_kind: Scope, scope: str = "", *, by: str) -> Offer:
        """Offer ``version`` to all terminals, a branch's or one terminal (replacing the offer there)."""
        if self.release(version) is None:
            raise ReleaseRefused(f"no release {version} here: add its wheel first (release add)")
        scope = "" if scope_kind == "all" else scope
        now = dt.datetime.now(dt.UTC)
        with self._store.writing() as db:
            db.execute(sa.delete(release_offers).where(release_offers.c.scope_kind == scope_kind,
                                                       release_offers.c.scope == scope))
            db.execute(sa.insert(release_offers).values(scope_kind=scope_kind, scope=scope, version=version,
                                                        offered_at=now, offered_by=by[:128]))
        offer = Offer(scope_kind, scope, version, now, by)
        self._store.audit(by, "release_offered", offer.reaches, version)
        return offer

    def withdraw(self, scope_kind: Scope, scope: str = "", *, by: str) -> str | None:
        """The offer to all terminals, a branch's or one terminal ends; the version it offered
        (None when there was none). Terminals keep what they run."""
        scope = "" if scope_kind == "all" else scope
        where = (release_offers.c.scope_kind == scope_kind, release_offers.c.scope == scope)
        with self._store.writing() as db:
            version = db.execute(sa.select(release_offers.c.version).where(*where)).scalar()
            db.execute(sa.delete(release_offers).where(*where))
        if version is not None:
            self._store.audit(by, "release_withdrawn", "all terminals" if scope_kind == "all"
                              else f"{scope_kind} {scope}", str(version))
        return None if version is None else str(version)

    # -- what is known -----------------------------------------------------------------------------
    def release(self, version: str) -> Release | None:
        with self._store.reading() as db:
            row = db.execute(sa.select(*_INFO).where(releases.c.version == version)).mappings().first()
        return None if row is None else Release(**row)

    def listed(self) -> list[Release]:
        with self._store.reading() as db:
            rows = db.execute(sa.select(*_INFO).order_by(releases.c.added_at)).mappings().all()
        return [Release(**row) for row in rows]

    def offers(self) -> list[Offer]:
        with self._store.reading() as db:
            rows = db.execute(sa.select(release_offers).order_by(
                release_offers.c.scope_kind, release_offers.c.scope)).mappings().all()
        return [Offer(**row) for row in rows]

    def for_terminal(self, terminal: str, branch: str) -> Release | None:
        """The release ``terminal`` of ``branch`` should run: the narrowest offer that reaches it."""
        with self._store.reading() as db:
            rows = db.execute(sa.select(release_offers.c.scope_kind, release_offers.c.version).where(
                sa.or_(sa.and_(release_offers.c.scope_kind == "terminal", release_offers.c.scope == terminal),
                       sa.and_(release_offers.c.scope_kind == "branch", release_offers.c.scope == branch),
                       release_offers.c.scope_kind == "all"))).all()
        offered = {str(kind): str(version) for kind, version in rows}
        for kind in SCOPES:
            if kind in offered:
                return self.release(offered[kind])
        return None

    def offered_versions(self) -> Callable[[str, str], str | None]:
        """Every offer at once, as a function of (terminal, branch) to the version offered: for pages
        and lists of many terminals (one query instead of one per terminal)."""
        offers = {(offer.scope_kind, offer.scope): offer.version for offer in self.offers()}

        def offered(terminal: str, branch: str) -> str | None:
            return (offers.get(("terminal", terminal)) or offers.get(("branch", branch))
                    or offers.get(("all", "")))

        return offered

    def wheel(self, version: str, terminal: str, branch: str) -> bytes | None:
        """The wheel of ``version`` when it is the one offered to ``terminal``; None otherwise."""
        offered = self.for_terminal(terminal, branch)
        if offered is None or offered.version != version:
            return None
        with self._store.reading() as db:
            found = db.execute(sa.select(releases.c.wheel).where(releases.c.version == version)).scalar()
        return None if found is None else bytes(found)

    def terminals(self) -> list[TerminalRelease]:
        """Every enrolled terminal: the version offered to it and the one its last heartbeat named."""
        with self._store.reading() as db:
            enrolled = db.execute(sa.select(credentials.c.terminal, credentials.c.branch)
                                  .where(credentials.c.revoked_at.is_(None))
                                  .order_by(credentials.c.terminal)).all()
            last = sa.select(sa.func.max(heartbeats.c.number)).group_by(heartbeats.c.terminal)
            beats = {str(terminal): (json.loads(body), at) for terminal, body, at in db.execute(
                sa.select(heartbeats.c.terminal, heartbeats.c.body, heartbeats.c.received_at)
                .where(heartbeats.c.number.in_(last)))}
        shown, offered = [], self.offered_versions()
        for terminal, branch in enrolled:
            body, at = beats.get(str(terminal), ({}, None))
            running = body.get("version")
            shown.append(TerminalRelease(str(terminal), str(branch), offered(str(terminal), str(branch)),
                                         str(running) if running else None, at))
        return shown


_INFO = (releases.c.version, releases.c.filename, releases.c.sha256, releases.c.size, releases.c.added_at,
         releases.c.added_by)

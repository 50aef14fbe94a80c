"""The terminal's configuration from the central system: checked, tried, kept or rolled back.

The central system serves tables of a settings file (its layers merged) named by a revision. A new
revision is checked at once with the kiosk's own settings model, laid over the terminal's own file
(``check``): one that does not pass is refused, logged and reported, and the terminal goes on as it
is. One that passes is *pending*: the kiosk restarts when nobody is using it and starts with it as a
*trial*. When the trial start answers (the LMS, the devices) the revision is *good*; when it does
not, or the process dies before it could tell, the revision is *bad*: the next start is with the
last good one again, and the bad one is never tried again. The state is kept in the store, so a
crash in the middle of a trial is a failed trial.

What changes only sections the kiosk can take on while it runs (:data:`LIVE_SECTIONS`: the access
rules) is in force at once, without a restart, once it passed the check: :meth:`offer` says so.

The heartbeat reports it all (:meth:`TerminalConfiguration.report`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from kiosk.domain.errors import StoreError
from kiosk.store import Store
from kiosk.store.db import from_sql_json, sql_time

log = logging.getLogger(__name__)

STATE_KEY = "central.config.state"
# What the running kiosk takes on without a restart: the door's access rules, and how often it syncs.
LIVE_SECTIONS = frozenset({"access", "central"})


class Offer(StrEnum):
    KNOWN = "known"  # in force, waiting, refused or rolled back before: nothing to do
    REFUSED = "refused"  # failed the check: reported, never tried
    LIVE = "live"  # in force now (only live sections changed)
    RESTART = "restart"  # waits for a restart when nobody uses the kiosk
BAD_KEPT = 20  # revisions remembered as bad


class TerminalConfiguration:
    """``check(settings)``: what is wrong with the central settings laid over the terminal's own
    (None: nothing)."""

    def __init__(self, store: Store, check: Callable[[Mapping[str, Any]], str | None]) -> None:
        self._store, self._check = store, check
        self._lock = threading.Lock()
        self._state: dict[str, Any] = self._load() or {"good": None, "pending": None, "trial": None,
                                                         "refused": None, "bad": []}

    # -- at start --------------------------------------------------------------------------------

    def for_start(self) -> Mapping[str, Any] | None:
        """The central settings to start with: a pending revision (now on trial), else the last good
        one; None before the first. A trial the last run never confirmed is a failed one."""
        with self._lock:
            state = self._state
            if state["trial"] is not None:
                self._failed("the terminal stopped before it could confirm it")
            if state["pending"] is not None:
                state["trial"] = state["pending"]["revision"]
                self._save()  # before anything runs with it: a crash from here on counts against it
                log.info("configuration: trying revision %s", state["trial"])
                return dict(state["pending"]["settings"])
            return dict(state["good"]["settings"]) if state["good"] is not None else None

    @property
    def on_trial(self) -> str | None:
        """The revision this run is trying, if any."""
        return self._state["trial"]  # type: ignore[no-any-return]

    def confirm(self) -> None:
        """The trial start answered: its revision is the good one now."""
        with self._lock:
            state = self._state
            if state["trial"] is None:
                return
            state["good"], state["pending"], state["trial"] = state["pending"], None, None
            self._save()
            log.info("configuration: revision %s is in force", state["good"]["revision"])

    def fail(self, why: str) -> None:
        """The trial start did not answer: back to the last good revision at the next start."""
        with self._lock:
            if self._state["trial"] is not None:
                self._failed(why)

    def discard_pending(self, why: str) -> str | None:
        """Staff do not want the revision that waits for a restart: it is never tried (as a bad
        one) and the terminal goes on as it is; the revision, or None when none waited."""
        with self._lock:
            state = self._state
            if state["pending"] is None or state["trial"] is not None:
                return None
            revision = str(state["pending"]["revision"])
            log.warning("configuration: revision %s discarded (%s)", revision, why)
            state["bad"] = [*state["bad"], revision][-BAD_KEPT:]
            state["refused"] = {"revision": revision, "error": f"rolled back: {why}"}
            state["pending"] = None
            self._save()
            return revision

    def _failed(self, why: str) -> None:
        state = self._state
        revision = state["trial"]
        log.error("configuration: revision %s rolled back (%s)", revision, why)
        state["bad"] = [*state["bad"], revision][-BAD_KEPT:]
        state["refused"] = {"revision": revision, "error": f"rolled back: {why}"}
        state["pending"] = state["trial"] = None
        self._save()

    # -- from the central sync (a worker) --------------------------------------------------------

    def offer(self, revision: str, settings: Mapping[str, Any]) -> Offer:
        """A revision from the central system: known already, refused, in force now, or waiting for
        a restart."""
        with self._lock:
            state = self._state
            seen = (state["good"], state["pending"], state["refused"])
            known = {entry["revision"] for entry in seen if entry}
            if revision in known or revision in state["bad"]:
                return Offer.KNOWN
            error = self._check(settings)
            if error is not None:
                log.error("configuration: revision %s refused: %s", revision, error)
                state["refused"] = {"revision": revision, "error": error}
                self._save()
                return Offer.REFUSED
            running = state["good"]["settings"] if state["good"] else {}
            changed = {name for name in {*running, *settings} if running.get(name) != settings.get(name)}
            if state["trial"] is None and state["pending"] is None and changed <= LIVE_SECTIONS:
                state["good"] = {"revision": revision, "settings": dict(settings)}
                self._save()
                log.info("configuration: revision %s is in force (%s, without a restart)", revision,
                         ", ".join(sorted(changed)) or "nothing the kiosk uses changed")
                return Offer.LIVE
            state["pending"] = {"revision": revision, "settings": dict(settings)}
            self._save()
            log.info("configuration: revision %s passed the check; it applies at the next restart", revision)
            return Offer.RESTART

    def report(self) -> dict[str, Any]:
        """For the heartbeat: the revision in force, the one waiting, the last one refused and why."""
        with self._lock:
            state = self._state
            return {"applied": state["good"]["revision"] if state["good"] else None,
                    "pending": state["pending"]["revision"] if state["pending"] else None,
                    "refused": dict(state["refused"]) if state["refused"] else None}

    # -- the store -------------------------------------------------------------------------------

    def _load(self) -> dict[str, Any] | None:
        try:
            with self._store.connection() as conn:
                row = conn.execute("SELECT value FROM cache WHERE key = ?", (STATE_KEY,)).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"configuration state: cannot read it ({type(exc).__name__})") from exc
        value = None if row is None else from_sql_json(row[0])
        return value if isinstance(value, dict) else None

    def _save(self) -> None:
        try:
            with self._store.transaction() as conn:
                conn.execute("INSERT OR REPLACE INTO cache (key, value, etag, updated_at) "
                             "VALUES (?, ?, NULL, ?)",
                             (STATE_KEY, json.dumps(self._state), sql_time(dt.datetime.now(dt.UTC))))
        except sqlite3.Error as exc:
            raise StoreError(f"configuration state: cannot keep it ({type(exc).__name__})") from exc

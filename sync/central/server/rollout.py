"""A configuration change tried on one terminal before it goes to every terminal of its level.

Trying: the proposed layer's tables are laid over the chosen terminal's own layer as a terminal-level
revision (so that terminal runs what the whole branch would, and its own settings still win), and the
trial is written down. The terminal takes it at its next configuration sync, as any revision (checked,
tried at an idle restart, kept or rolled back), and its heartbeat says which revision it runs or why
it refused it. Then staff either *roll it out* (the proposed layer is saved at its level, and the
terminal's layer goes back to what it was) or *abandon* it (only the terminal's layer goes back).
Every step is a revision with its author and reason, and a line of the audit log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kiosk.settings.layers import merge_tables
from sync.central.server.store import CentralStore


@dataclass(frozen=True)
class Trial:
    level: str
    scope: str
    terminal: str
    proposed: dict[str, Any]  # the layer as it would be saved at ``level``
    revision: int  # the terminal-level revision that carries it
    before: dict[str, Any]  # the terminal's own layer before the trial
    author: str
    reason: str


def _key(level: str, scope: str) -> str:
    return f"trial.{level}.{scope}"


class Rollout:
    def __init__(self, store: CentralStore) -> None:
        self._store = store

    def trial(self, level: str, scope: str) -> Trial | None:
        kept = self._store.note(_key(level, scope))
        return None if kept is None else Trial(**json.loads(kept))

    def try_on(self, level: str, scope: str, terminal: str, proposed: dict[str, Any], *, author: str,
               reason: str) -> Trial:
        """Lay ``proposed`` over ``terminal``'s own layer as a new terminal revision (checked as any
        revision: :class:`ConfigRefused` in words); one trial per layer at a time."""
        if level == "terminal":
            raise ValueError("a terminal's own layer is tried on that terminal already")
        if self.trial(level, scope) is not None:
            raise ValueError("a trial of this layer is under way: roll it out or abandon it first")
        own = self._store.revisions("terminal", terminal)
        before = own[0]["settings"] if own else {}
        number = self._store.add_revision("terminal", terminal, merge_tables(proposed, before), author=author,
                                          reason=f"trial of the {level} layer {scope}: {reason}".strip(": "))
        trial = Trial(level, scope, terminal, proposed, number, before, author, reason)
        self._store.set_note(_key(level, scope), json.dumps(trial.__dict__))
        self._store.audit(author, "configuration_trial", f"{level} {scope}".strip(),
                          f"on terminal {terminal} (revision t{number}): {reason}")
        return trial

    def roll_out(self, level: str, scope: str, *, author: str) -> int:
        """The trial's layer saved at its level for every terminal; the terminal's own layer back."""
        trial = self._required(level, scope)
        why = f"rolled out after the trial on {trial.terminal}: {trial.reason}"
        number = self._store.add_revision(level, scope, trial.proposed, author=author, reason=why)
        self._restore(trial, author, "rolled out to every terminal")
        self._store.audit(author, "configuration_rolled_out", f"{level} {scope}".strip(),
                          f"revision {number}, tried on {trial.terminal}")
        return number

    def abandon(self, level: str, scope: str, *, author: str) -> None:
        """The trial ends: the terminal's own layer as it was; the level's layer unchanged."""
        trial = self._required(level, scope)
        self._restore(trial, author, "trial abandoned")
        self._store.audit(author, "configuration_trial_abandoned", f"{level} {scope}".strip(),
                          f"on terminal {trial.terminal}")

    def _required(self, level: str, scope: str) -> Trial:
        trial = self.trial(level, scope)
        if trial is None:
            raise ValueError("no trial of this layer is under way")
        return trial

    def _restore(self, trial: Trial, author: str, why: str) -> None:
        self._store.add_revision("terminal", trial.terminal, trial.before, author=author,
                                 reason=f"back from the trial of the {trial.level} layer: {why}")
        self._store.set_note(_key(trial.level, trial.scope), None)

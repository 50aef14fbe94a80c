"""Configuration revisions on the central service: immutable, layered defaults -> municipality ->
branch -> terminal, checked with the kiosk's own settings model before they are saved (on SQLite and
on PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.central.client import CentralClient
from sync.central.server.config import ConfigRefused
from sync.central.service import CentralService
from tests.sync.central.conftest import BRANCH, TERMINAL, ClientFactory


def test_layers_merge_in_order_and_the_revision_names_each(
        central: CentralService, client: CentralClient, make_client: ClientFactory) -> None:
    central.add_revision("defaults", "", {"session": {"idle_timeout_s": 90}, "terminal": {"language": "da"}},
                         author="it@aarhus.dk", reason="the municipality's start")
    central.add_revision("branch", BRANCH, {"session": {"idle_timeout_s": 45}}, author="dokk1@aarhus.dk")
    central.add_revision("branch", "viby", {"session": {"idle_timeout_s": 30}}, author="viby@aarhus.dk")
    number = central.add_revision("terminal", TERMINAL, {"terminal": {"language": "en"}}, author="anne")
    config = client.terminal_config(TERMINAL)
    assert config.settings == {"session": {"idle_timeout_s": 45}, "terminal": {"language": "en"}}
    assert config.revision.startswith("d") and config.revision.endswith(f".t{number}")
    assert ".m0." in config.revision

    other = make_client(central, token=central.enrol("kiosk-9", "viby"))
    assert other.terminal_config("kiosk-9").settings == {"session": {"idle_timeout_s": 30},
                                                         "terminal": {"language": "da"}}


def test_a_revision_is_kept_with_its_author_reason_and_parent(central: CentralService) -> None:
    first = central.add_revision("municipality", "", {"session": {"idle_timeout_s": 60}}, author="it",
                                 reason="one minute")
    second = central.add_revision("municipality", "", {"session": {"idle_timeout_s": 75}}, author="it",
                                  reason="people read slowly")
    history = central.revisions("municipality")
    assert [(r["number"], r["parent"], r["reason"]) for r in history] == [
        (second, first, "people read slowly"), (first, None, "one minute")]


@pytest.mark.parametrize(("level", "scope", "settings", "said"), [
    ("terminal", TERMINAL, {"session": {"idle_timeout_s": "soon"}}, "session.idle_timeout_s"),
    ("defaults", "", {"sesion": {}}, "sesion: unknown setting"),
    ("branch", BRANCH, {"paths": {"data_dir": "/tmp"}}, "paths: only the terminal's own settings file"),
    ("defaults", "", {"central": {"url": "https://evil.example"}}, "central.url: only the terminal's own"),
    ("terminal", TERMINAL, {"terminal": {"branch": "viby"}}, "terminal.branch: only the terminal's own"),
    ("floor", "", {}, "level: one of defaults, municipality, branch, terminal"),
    ("branch", "", {}, "branch: name the branch"),
])
def test_a_revision_the_kiosks_could_not_run_is_refused_in_words(
        central: CentralService, client: CentralClient, level: str, scope: str, settings: dict[str, object],
        said: str) -> None:
    with pytest.raises(ConfigRefused, match=said.replace(".", r"\.")):
        central.add_revision(level, scope, settings, author="anne")
    if level in ("defaults", "branch", "terminal") and scope:
        assert central.revisions(level, scope) == []


def test_a_layer_is_checked_with_every_terminal_it_reaches(central: CentralService) -> None:
    central.add_revision("terminal", TERMINAL, {"session": {"idle_timeout_s": 20}}, author="anne")
    # Alone fine, but with demo-1's own layer the warning would come after the timeout.
    with pytest.raises(ConfigRefused, match=f"terminal {TERMINAL}"):
        central.add_revision("defaults", "", {"session": {"idle_warning_s": 30}}, author="it")


def test_a_trial_abandoned_leaves_the_branch_as_it_was_and_the_terminal_as_before(tmp_path: Path) -> None:
    from sync.central.server.rollout import Rollout
    from sync.central.server.store import CentralStore

    store = CentralStore(tmp_path / "central.db")
    try:
        store.issue_credential("viby-1", "viby")
        store.add_revision("terminal", "viby-1", {"session": {"idle_warning_s": 15}}, author="seed")
        rollout = Rollout(store)
        trial = rollout.try_on("branch", "viby", "viby-1", {"session": {"idle_timeout_s": 45}},
                               author="anne", reason="evening")
        assert store.terminal_config("viby-1")["settings"] == {
            "session": {"idle_timeout_s": 45, "idle_warning_s": 15}}  # the trial, under its own settings
        with pytest.raises(ValueError, match="under way"):
            rollout.try_on("branch", "viby", "viby-1", {}, author="anne", reason="again")
        rollout.abandon("branch", "viby", author="anne")
        assert store.revisions("branch", "viby") == [] and rollout.trial("branch", "viby") is None
        assert store.terminal_config("viby-1")["settings"] == {"session": {"idle_warning_s": 15}}
        assert trial.revision == store.revisions("terminal", "viby-1")[1]["number"]
        with pytest.raises(ValueError, match="no trial"):
            rollout.roll_out("branch", "viby", author="anne")
    finally:
        store.close()

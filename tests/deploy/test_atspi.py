"""A screen reader's view of the real kiosk: ``library-kiosk run`` under headless ``cage`` (Qt's
wayland platform, as a terminal runs it), on a private D-Bus session bus with the AT-SPI bus of
at-spi2-core, read by a real AT-SPI client (libatspi through GObject introspection, in the system's
Python, as Orca reads it). Accessibility is switched on as a screen reader switches it on
(``org.a11y.Status.IsEnabled``), not by a Qt variable.

Qt's offscreen platform, which the other UI tests use, exports nothing over AT-SPI (it has no
accessibility bridge), so this is the only test that sees what a screen reader sees. It checks the
start screen's buttons by role, name and description, then opens the language chooser and presses
"English" through AT-SPI, as a screen reader user does, and finds the names in English. A message
(the thanks after a return) is announced over AT-SPI, as a status message must be."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.texts import text as t
from tests.deploy.test_cage import (  # noqa: F401  (fixtures)
    User,
    as_user,
    reachable,
    root,
    user,
    x11_sockets,
)

BUS_LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")
SYSTEM_PYTHON = "/usr/bin/python3"
READY_WITHIN_S = 90.0  # Qt, the database and the LMS emulator start on a busy two-core machine

pytestmark = pytest.mark.skipif(
    shutil.which("cage") is None or shutil.which("Xwayland") is None or shutil.which("dbus-daemon") is None
    or not BUS_LAUNCHER.exists()
    or subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('Atspi', '2.0')"],
                      capture_output=True, check=False).returncode != 0,
    reason="needs cage, xwayland, dbus-daemon, at-spi2-core and gir1.2-atspi-2.0 with python3-gi "
           "(make test installs them)")

# The client: every application on the AT-SPI bus as a list of (role, name, description, showing,
# checked, locale) (showing: on the screen now, as a screen reader reads it; locale: the language a
# screen reader speaks it in); with an argument, first do the first
# action of the button of that name (a checkable button's is "toggle", a push button's "press").
CLIENT = r"""
import json, sys
import gi
gi.require_version("Atspi", "2.0")
from gi.repository import Atspi

def walk(node, out):
    states = node.get_state_set()
    out.append((node.get_role_name(), node.get_name() or "", node.get_description() or "",
                states.contains(Atspi.StateType.SHOWING), states.contains(Atspi.StateType.CHECKED),
                node.get_object_locale() or ""))
    for index in range(min(node.get_child_count(), 500)):
        child = node.get_child_at_index(index)
        if child is not None:
            walk(child, out)
    return out

def find(node, name):
    # Only what shows: a hidden page has buttons of the same name (staff mode's languages).
    if (node.get_name() == name and node.get_role_name() in ("push button", "check box")
            and node.get_state_set().contains(Atspi.StateType.SHOWING)):
        return node
    for index in range(node.get_child_count()):
        child = node.get_child_at_index(index)
        found = find(child, name) if child is not None else None
        if found is not None:
            return found
    return None

desktop = Atspi.get_desktop(0)
apps = [desktop.get_child_at_index(i) for i in range(desktop.get_child_count())]
if len(sys.argv) > 1:
    for app in apps:
        target = find(app, sys.argv[1])
        if target is not None:
            target.get_action_iface().do_action(0)
            break
    else:
        sys.exit("no button " + sys.argv[1])
print(json.dumps([walk(app, []) for app in apps if app is not None]))
"""

# Announcements (AT-SPI's object:announcement), one JSON line each, after a line "ready".
LISTENER = r"""
import json, sys
import gi
gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, GLib

def heard(event):
    print(json.dumps(str(event.any_data)), flush=True)

listener = Atspi.EventListener.new(heard)
listener.register("object:announcement")
print("ready", flush=True)
GLib.timeout_add(int(float(sys.argv[1]) * 1000), Atspi.event_quit)
Atspi.event_main()
"""

Node = tuple[str, str, str, bool, bool, str]
# What a screen reader calls a control one presses: Qt says "check box" of a checkable button (the
# language buttons: the checked one is the visit's language).
CONTROL_ROLES = {"push button", "toggle button", "check box", "radio button"}


class Processes:
    """Started in their own process groups; ended by group id (SIGTERM, then SIGKILL)."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.started.append(process)
        return process

    def stop(self) -> None:
        """End each group, the last started first, and wait until none of its processes is left
        (the kiosk's, and the AT-SPI bus the session bus started)."""
        for process in reversed(self.started):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if self._signal(process, sig) and self._gone(process, within=10.0):
                    break

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], sig: signal.Signals) -> bool:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return False
        return True

    @staticmethod
    def _gone(process: subprocess.Popen[bytes], within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            process.poll()  # reaped, or the group's leader stays as a zombie
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False


@pytest.fixture
def processes() -> Iterator[Processes]:
    started = Processes()
    yield started
    started.stop()


def read_tree(client: list[str], env: dict[str, str], *press: str) -> list[list[Node]]:
    result = subprocess.run([*client, "-c", CLIENT, *press], env=env, capture_output=True, timeout=60,
                            check=False)
    if result.returncode != 0:
        raise AssertionError(result.stderr.decode(errors="replace")[-2000:])
    return [[(role, name, desc, showing, checked, locale)
             for role, name, desc, showing, checked, locale in app] for app in json.loads(result.stdout)]


Control = tuple[str, str, str]  # role (" checked" after it when checked), description, language


def kiosk_buttons(apps: list[list[Node]]) -> dict[str, Control]:
    """Name -> what a screen reader hears of every control on the screen now (its language: that
    of its locale), in the application whose window is the kiosk's (titled as the branch)."""
    for app in apps:
        if any(name == "hovedbiblioteket" for _role, name, _desc, _showing, _checked, _locale in app):
            return {name: (role + (" checked" if checked else ""), desc, locale.split("_")[0])
                    for role, name, desc, showing, checked, locale in app
                    if role in CONTROL_ROLES and showing}
    return {}


def wait_for(client: list[str], env: dict[str, str], wanted: str, deadline: float,
             log: Path) -> dict[str, Control]:
    buttons: dict[str, Control] = {}
    while time.monotonic() < deadline:
        buttons = kiosk_buttons(read_tree(client, env))
        if wanted in buttons:
            return buttons
        time.sleep(1.0)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise AssertionError(f"no button {wanted!r} over AT-SPI; buttons seen: {buttons}\n{tail}")


def test_a_screen_reader_finds_the_start_screens_buttons_by_role_and_name(
        user: User, root: Path, processes: Processes) -> None:  # noqa: F811
    prefix, python, pythonpath = reachable(user, root)
    bus = root / "runtime" / "bus"
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(root / "data"),
           "XDG_RUNTIME_DIR": str(root / "runtime"), "DBUS_SESSION_BUS_ADDRESS": f"unix:path={bus}"}
    log = root / "atspi.log"
    processes.start([*as_user(user), "dbus-daemon", "--session", "--nofork", f"--address=unix:path={bus}"],
                    env, log)
    deadline = time.monotonic() + 10
    while not bus.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    # As Orca does when it starts: the AT-SPI bus comes up and says that assistive technology is on.
    subprocess.run([*as_user(user), "gdbus", "call", "--session", "--dest", "org.a11y.Bus",
                    "--object-path", "/org/a11y/bus", "--method", "org.freedesktop.DBus.Properties.Set",
                    "org.a11y.Status", "IsEnabled", "<true>"], env=env, check=True, capture_output=True,
                   timeout=30)
    kiosk_env = {**env, "WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1",
                 "WLR_RENDERER": "pixman", "QT_QPA_PLATFORM": "wayland", "PYTHONPATH": pythonpath}
    processes.start([*prefix, *as_user(user), "cage", "--", python, "-m", "kiosk.cli", "run",
                     "--config", str(root / "kiosk.toml")], kiosk_env, log)
    client = [*as_user(user), SYSTEM_PYTHON]

    buttons = wait_for(client, env, t("purpose.borrow", "da"), time.monotonic() + READY_WITHIN_S, log)
    # Each in the visit's language (the screen reader's voice follows it), a language's own
    # name in that language.
    for purpose in ("borrow", "return", "account"):
        name = t(f"purpose.{purpose}", "da")
        assert buttons.get(name) == ("push button", t(f"purpose.{purpose}.detail", "da"), "da"), buttons
    # The header's one language button: the language it shows, then what it is for.
    language_button = f"Dansk. {t('language.button', 'da')}"
    assert buttons[language_button] == ("push button", t("a11y.language", "da"), "da"), buttons
    assert all(any(char.isalnum() for char in name) for name in buttons), buttons  # no glyph

    listener = subprocess.Popen([*client, "-c", LISTENER, "30"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert listener.stdout is not None and listener.stdout.readline().strip() == "ready"
        # A return without items, as a screen reader user does it: the thanks is announced, not
        # only shown (a status message, WCAG 4.1.3).
        read_tree(client, env, t("purpose.return", "da"))
        wait_for(client, env, t("done", "da"), time.monotonic() + 30, log)
        read_tree(client, env, t("done", "da"))
        thanks = t("msg.returned", "da")
        line = listener.stdout.readline()  # "" when the listener gave up, after 30 s
        assert line and json.loads(line) == thanks, f"no announcement of {thanks!r} (heard {line!r})"
    finally:
        os.killpg(listener.pid, signal.SIGTERM)
        listener.wait(timeout=10)

    read_tree(client, env, language_button)  # the chooser, opened as a screen reader user opens it
    chooser = wait_for(client, env, "English", time.monotonic() + 30, log)
    # Each language in its own name and locale, the visit's checked.
    assert chooser["English"] == ("check box", t("a11y.language", "da"), "en")
    assert chooser["Dansk"] == ("check box checked", t("a11y.language", "da"), "da")
    read_tree(client, env, "English")  # chosen as a screen reader user chooses it
    buttons = wait_for(client, env, t("purpose.borrow", "en"), time.monotonic() + 30, log)
    assert buttons[t("purpose.return", "en")] == ("push button", t("purpose.return.detail", "en"), "en")
    assert buttons[f"English. {t('language.button', 'en')}"] == ("push button", t("a11y.language", "en"),
                                                                "en")

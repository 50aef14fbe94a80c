"""Real releases of the kiosk for the update tests: wheels of this tree built under other versions,
and a throwaway root with one of them installed and current, as the installer leaves a terminal.

Version 0.9.1 carries one more migration (a table ``update_probe``), so that an update visibly
migrates the database and a rollback visibly takes it back. The release virtualenvs get the
kiosk's dependencies from this test run's own environment (``PYTHONPATH``, ``PIP_NO_DEPS``)
instead of from the package index: the kiosk's own code is the wheel's, everything else is shared.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

OLD, NEW = "0.9.0", "0.9.1"
PROBE_MIGRATION = '''\
"""A table only 0.9.1 has (the update tests)."""

import sqlalchemy as sa
from alembic import op

revision = "0099"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("update_probe", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("update_probe")
'''
# Stands in for `systemctl restart`: starts nothing, but writes the ready stamp as the kiosk does
# once it told systemd READY=1, with the version of the code `current` now runs (asked of that
# release's own interpreter), unless that version is the one named to never get ready.
FAKE_RESTART = '''\
import datetime, pathlib, subprocess, sys
root, never = pathlib.Path(sys.argv[1]), sys.argv[2]
python = root / "opt/library-kiosk/current/bin/python"
version = subprocess.run([str(python), "-c", "from importlib.metadata import version; "
                          "print(version('library-kiosk'))"], capture_output=True, text=True,
                         check=True, cwd=root).stdout.strip()
with open(root / "restarts.log", "a") as log:
    log.write(version + "\\n")
if version != never:
    stamp = root / "var/lib/library-kiosk/ready"
    stamp.write_text(f"{version} {datetime.datetime.now().astimezone().isoformat()}\\n")
'''


def build_wheel(version: str, out: Path, work: Path) -> Path:
    """A wheel of this tree as it is now (its files, committed or not), under ``version``."""
    tree = work / f"src-{version}"
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not name.startswith((".venv", "docs/")):
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / name)
    project = tree / "pyproject.toml"
    project.write_text(project.read_text().replace('version = "0.1.0"', f'version = "{version}"', 1))
    if version == NEW:
        db = tree / "kiosk/store/db.py"
        text = db.read_text()
        head = text.split('HEAD_REVISION = "', 1)[1].split('"', 1)[0]
        db.write_text(text.replace(f'HEAD_REVISION = "{head}"', 'HEAD_REVISION = "0099"', 1))
        (tree / "kiosk/store/migrations/versions/0099_update_probe.py").write_text(
            PROBE_MIGRATION.format(head=head))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(tree)],
                   check=True, capture_output=True)
    (wheel,) = out.glob(f"library_kiosk-{version}-*.whl")
    return wheel


def shared_dependencies(folder: Path) -> Path:
    """A folder of links to this environment's packages, without the kiosk and pip's own tools."""
    folder.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        name = entry.name
        if name.endswith(".pth") or name.startswith(("__editable__", "library_kiosk", "pip", "setuptools",
                                                     "_distutils_hack", "wheel")):
            continue
        (folder / name).symlink_to(entry)
    return folder


@dataclass(frozen=True)
class Terminal:
    """A throwaway root with ``OLD`` installed and current, its settings and its database."""

    root: Path
    env: dict[str, str]

    @property
    def home(self) -> Path:
        return self.root / "opt/library-kiosk"

    @property
    def data(self) -> Path:
        return self.root / "var/lib/library-kiosk"

    @property
    def database(self) -> Path:
        return self.data / "kiosk.sqlite3"

    def current(self) -> str:
        return os.readlink(self.home / "current")

    def previous(self) -> str | None:
        link = self.home / "previous"
        return os.readlink(link) if link.is_symlink() else None

    def restarts(self) -> list[str]:
        log = self.root / "restarts.log"
        return log.read_text().split() if log.exists() else []

    def command(self, *words: str, never_ready: str = "none", stop: str = "true",
                timeout: float = 20) -> list[str]:
        """``library-kiosk <words>`` for this root, with the fake restart and a quick health check."""
        restart = f"{sys.executable} {self.root / 'fake_restart.py'} {self.root} {never_ready}"
        return [sys.executable, "-m", "kiosk.cli.main", *words, "--root", str(self.root),
                "--restart-command", restart, "--stop-command", stop, "--health-timeout", str(timeout)]

    def run(self, *words: str, **options: str | float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*words, **options), cwd=REPO, env=self.env,  # type: ignore[arg-type]
                              capture_output=True, text=True, timeout=300)


def installed_terminal(root: Path, wheel: Path, dependencies: Path) -> Terminal:
    """``root`` as the installer leaves a terminal: ``OLD`` in its own virtualenv and current, the
    settings in /etc, the database made by that release."""
    env = {**os.environ, "PYTHONPATH": str(dependencies), "PIP_NO_DEPS": "1", "PIP_NO_INDEX": "1"}
    terminal = Terminal(root, env)
    release = terminal.home / "releases" / OLD
    subprocess.run([sys.executable, "-m", "venv", str(release)], check=True, capture_output=True)
    subprocess.run([str(release / "bin/python"), "-m", "pip", "install", "--quiet", str(wheel)], check=True,
                   capture_output=True, env=env)
    (terminal.home / "current").symlink_to(Path("releases") / OLD)
    config = root / "etc/library-kiosk/kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text(textwrap.dedent(f"""\
        [terminal]
        id = "viby-1"
        branch = "viby"

        [paths]
        data_dir = "{terminal.data}"
        log_dir = "{root / 'var/log/library-kiosk'}"
        key_dir = "{terminal.data / 'keys'}"
        """))
    subprocess.run([str(release / "bin/library-kiosk"), "migrate", "--config", str(config)], check=True,
                   capture_output=True, env=env, cwd=root)
    (root / "fake_restart.py").write_text(FAKE_RESTART)
    return terminal

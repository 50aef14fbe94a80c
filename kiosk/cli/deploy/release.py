"""A release: the application in a virtualenv of its own, ``/opt/library-kiosk/releases/<version>``,
and the ``current`` link that says which release runs (``previous``: the one before, to go back to).

A release is built where it will run (a virtualenv's scripts name their own path) and counts as
installed only once its :data:`MARKER` is written, so a build that was interrupted is built again.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kiosk.cli.deploy.changes import Changes, DeployError
from kiosk.cli.deploy.layout import CURRENT, PREVIOUS, RELEASES_DIR, Layout

MARKER = ".installed"
SOURCE_TREE = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Source:
    """What a release is made from: a wheel or sdist, a source tree, or (for tests and development)
    an existing environment whose installed packages the release uses instead of its own."""

    version: str
    wheel: Path | None = None
    source: Path | None = None
    venv_from: Path | None = None


def _safe(version: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+_-]*", version):
        raise DeployError(f"{version!r} cannot name a release folder")
    return version


def from_wheel(wheel: Path) -> Source:
    """The release a wheel (``library_kiosk-0.2.0-py3-none-any.whl``) or sdist (``.tar.gz``) makes."""
    if not wheel.is_file():
        raise DeployError(f"{wheel}: no such file")
    match = re.fullmatch(r"library_kiosk-([^-]+?)(?:-.*\.whl|\.tar\.gz)", wheel.name)
    if match is None:
        raise DeployError(f"{wheel}: not a library-kiosk wheel or sdist (library_kiosk-VERSION-...whl)")
    return Source(version=_safe(match.group(1)), wheel=wheel.resolve())


def tree_version(tree: Path) -> str:
    """A source tree's version: pyproject.toml's, with the git commit when it is a checkout."""
    try:
        project = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        version = str(project["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        raise DeployError(f"{tree}: not a library-kiosk source tree (no pyproject.toml with a "
                          "version): give --wheel") from None
    commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False)
    if commit.returncode == 0 and commit.stdout.strip():
        version += f"+g{commit.stdout.strip()}"
    return _safe(version)


def from_tree(tree: Path, venv_from: Path | None = None) -> Source:
    tree = tree.resolve()
    version = tree_version(tree)
    if venv_from is not None:
        if not (venv_from / "bin" / "python").exists():
            raise DeployError(f"{venv_from}: not a virtualenv (no bin/python)")
        return Source(version=version, source=tree, venv_from=venv_from.resolve())
    return Source(version=version, source=tree)


def install_release(changes: Changes, layout: Layout, source: Source) -> PurePosixPath:
    """The release folder for ``source``, built if it is not there yet; returns its real path."""
    real = RELEASES_DIR / source.version
    folder = layout.on_disk(real)
    if (folder / MARKER).is_file():
        changes.unchanged(f"release {source.version} in {folder}")
        return real
    if folder.exists():
        changes.remove(folder)  # an interrupted build
    folder.parent.mkdir(parents=True, exist_ok=True)
    if source.venv_from is not None:
        assert source.source is not None
        _light_venv(folder, source.venv_from, source.source)
    else:
        _full_venv(folder, source)
    if not layout.is_live:
        _name_real_path(folder, str(real))
    (folder / MARKER).write_text(f"{source.version}\n", encoding="utf-8")
    changes.changed(f"installed release {source.version} in {folder}")
    return real


def _check(command: list[str], what: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise DeployError(f"{what} failed:\n{tail}")
    return done.stdout


def _full_venv(folder: Path, source: Source) -> None:
    _check([sys.executable, "-m", "venv", str(folder)], f"making the virtualenv {folder}")
    what = source.wheel or source.source
    assert what is not None
    _check([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-cache-dir",
            "--disable-pip-version-check", str(what)], f"installing {what} into {folder}")


def _light_venv(folder: Path, environment: Path, tree: Path) -> None:
    """A virtualenv without packages of its own that imports the application from ``tree`` and
    everything else from ``environment``, with the ``library-kiosk`` command."""
    _check([str(environment / "bin" / "python"), "-m", "venv", "--without-pip", str(folder)],
           f"making the virtualenv {folder}")
    paths = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    theirs = _check([str(environment / "bin" / "python"), "-c", paths], "asking for site-packages").strip()
    ours = Path(_check([str(folder / "bin" / "python"), "-c", paths], "asking for site-packages").strip())
    (ours / "library_kiosk_environment.pth").write_text(
        f"{tree}\nimport site; site.addsitedir({theirs!r})\n", encoding="utf-8")
    command = folder / "bin" / "library-kiosk"
    command.write_text(f"#!{folder}/bin/python\nimport sys\nfrom kiosk.cli.main import main\n"
                       "sys.exit(main())\n", encoding="utf-8")
    command.chmod(0o755)


def _name_real_path(folder: Path, real: str) -> None:
    """Built inside a root folder, the scripts name the root's path: make them name the real one."""
    built = str(folder).encode()
    for script in (folder / "bin").iterdir():
        if script.is_file() and not script.is_symlink():
            data = script.read_bytes()
            if built in data:
                script.write_bytes(data.replace(built, real.encode()))


def switch_current(changes: Changes, layout: Layout, release: PurePosixPath) -> None:
    """``current`` -> ``release``, and ``previous`` -> the release ``current`` named before."""
    current = layout.on_disk(CURRENT)
    target = os.path.relpath(release, CURRENT.parent)
    if current.is_symlink() and os.readlink(current) not in (target, str(release)):
        changes.link(layout.on_disk(PREVIOUS), os.readlink(current))
    changes.link(current, target)

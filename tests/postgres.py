"""A real PostgreSQL server for the tests: a throw-away cluster in a temporary folder, on a free
loopback port, for the test session; each test that wants one gets an empty database of its own.

PostgreSQL refuses to run as root (CI runs as root), so there it runs as ``nobody``. The server comes
from Debian's ``postgresql`` package (``make test`` installs it); without it the tests that need it
fail and say so, they are not skipped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import psycopg
import pytest

from tests.net import free_port

START_TIMEOUT_S = 30.0


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


class PostgresCluster:
    """``initdb`` + ``postgres`` in ``folder``; :meth:`database` makes an empty database and its URL."""

    def __init__(self, folder: Path) -> None:
        binaries = _binaries()
        if binaries is None:
            raise RuntimeError("PostgreSQL's server is not installed (Debian: apt-get install postgresql)")
        self.folder, self.port = folder, free_port()
        self._numbers = count(1)
        self._run_as: list[str] = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(folder, nobody.pw_uid, nobody.pw_gid)
            self._run_as = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                            "--clear-groups"]
        data = folder / "data"
        self._run([str(binaries / "initdb"), "-D", str(data), "-U", "kiosk", "--auth=trust",
                   "--encoding=UTF8", "--locale=C", "--no-sync"])
        self._server = subprocess.Popen(
            [*self._run_as, str(binaries / "postgres"), "-D", str(data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={folder}",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=(folder / "server.log").open("wb"), start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    break
            except psycopg.OperationalError:
                if self._server.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("PostgreSQL did not start: " + (folder / "server.log").read_text(
                        errors="replace")[-2000:]) from None
                time.sleep(0.1)

    def _run(self, command: list[str]) -> None:
        subprocess.run([*self._run_as, *command], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, cwd=self.folder)

    def url(self, name: str) -> str:
        return f"postgresql://kiosk@127.0.0.1:{self.port}/{name}"

    def database(self) -> str:
        """The URL of a new, empty database."""
        name = f"test_{next(self._numbers)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self._server.poll() is None:
            self._server.send_signal(signal.SIGINT)  # fast: SIGTERM would wait for pooled connections
            try:
                self._server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    folder = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    try:
        cluster = PostgresCluster(folder)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        detail = exc.stderr.decode(errors="replace") if isinstance(exc, subprocess.CalledProcessError) else ""
        pytest.fail(f"no PostgreSQL for the tests: {exc} {detail}")
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)

"""The central client against a hostile HTTP server over real TCP: an endless body, a gzip bomb, a
body trickled a byte at a time, JSON nested deeper than any parser goes. Each ends in the client's
documented error (CentralUnavailable), in bounded time and memory."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from sync.central.client import CentralClient, CentralUnavailable

Answer = Callable[[socket.socket], None]


def serve_once(answer: Answer) -> Iterator[str]:
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def run() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.recv(65536)  # the request
                with contextlib.suppress(OSError):  # the client hung up: what it should do
                    answer(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    server.close()
    thread.join(2)


def headers(length: int | None = None, extra: str = "") -> bytes:
    size = f"Content-Length: {length}\r\n" if length is not None else ""
    return f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{size}{extra}\r\n".encode()


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from serve_once(request.param)


def endless(conn: socket.socket) -> None:
    conn.sendall(headers(extra="Transfer-Encoding: chunked\r\n"))
    chunk = b"[" + b"0," * 32767 + b"0]"
    while True:
        conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")


def bomb(conn: socket.socket) -> None:
    body = gzip.compress(b" " * (200 * 1024 * 1024), compresslevel=9)  # 200 MB of spaces, ~200 kB
    conn.sendall(headers(len(body), "Content-Encoding: gzip\r\n") + body)


def trickle(conn: socket.socket) -> None:
    body = b'{"terminal_id": "demo-1", "settings": {}, "access_list_key": "00"}'
    conn.sendall(headers(len(body)))
    for byte in body:
        conn.sendall(bytes([byte]))
        time.sleep(0.25)


def deep(conn: socket.socket) -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    conn.sendall(headers(len(body)) + body)


@pytest.mark.parametrize(("hostile", "problem"), [
    (endless, "larger than 4194304 bytes"), (bomb, "larger than 4194304 bytes"),
    (trickle, "took longer than 1 s"), (deep, "not JSON")], indirect=["hostile"],
    ids=["endless", "gzip-bomb", "trickle", "deep-json"])
def test_a_hostile_answer_is_unavailable_not_a_crash(hostile: str, problem: str) -> None:
    client = CentralClient(hostile, "t0ken", retries=0, timeout_s=(2, 2), max_body_bytes=4 * 1024 * 1024,
                           deadline_s=1.0)
    with pytest.raises(CentralUnavailable, match=problem):
        client.terminal_config("demo-1")
    client.close()

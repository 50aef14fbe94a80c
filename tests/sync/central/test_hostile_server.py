"""The central client against a hostile HTTP server over real TCP: an endless body, a gzip bomb, a
body trickled a byte at a time, JSON nested deeper than any parser goes. Each ends in the client's
documented error (CentralUnavailable), in bounded time and memory."""

from __future__ import annotations

import functools
import gzip
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from sync.central.client import CentralClient, CentralUnavailable
from tests.fuzz.targets import hostile_tcp

Answer = Callable[[socket.socket], None]


def headers(length: int | None = None, extra: str = "") -> bytes:
    size = f"Content-Length: {length}\r\n" if length is not None else ""
    return f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{size}{extra}\r\n".encode()


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param is bomb:
        bomb_body()  # made before the client's clock starts: compressing it takes the server a while
    with hostile_tcp(close_after=True) as (state, port):
        state["reply"] = request.param
        yield f"http://127.0.0.1:{port}"


def endless(conn: socket.socket) -> None:
    conn.sendall(headers(extra="Transfer-Encoding: chunked\r\n"))
    chunk = b"[" + b"0," * 32767 + b"0]"
    while True:
        conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")


@functools.cache
def bomb_body() -> bytes:
    return gzip.compress(b" " * (200 * 1024 * 1024), compresslevel=9)  # 200 MB of spaces, ~200 kB


def bomb(conn: socket.socket) -> None:
    body = bomb_body()
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

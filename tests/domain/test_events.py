"""The core loop: one event at a time, worker results back on the core thread, faults contained."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kiosk.domain.events import Core, InlineWorkers


@dataclass(frozen=True)
class Ping:
    n: int


def test_events_are_handled_in_order_on_one_thread() -> None:
    core = Core()
    seen: list[tuple[int, str]] = []
    done = threading.Event()

    def on_ping(event: Ping) -> None:
        seen.append((event.n, threading.current_thread().name))
        if event.n == 99:
            done.set()

    core.on(Ping, on_ping)
    core.start()
    try:
        posters = [threading.Thread(target=lambda i=i: core.post(Ping(i))) for i in range(99)]
        for t in posters:
            t.start()
        for t in posters:
            t.join()
        core.post(Ping(99))
        assert done.wait(5)
    finally:
        core.stop()
    assert len(seen) == 100
    assert {name for _, name in seen} == {"kiosk-core"}


def test_worker_results_come_back_on_the_core_thread() -> None:
    core = Core()
    result: list[tuple[object, str, str]] = []
    finished = threading.Event()

    def slow() -> str:
        return threading.current_thread().name

    def done(value: str, error: BaseException | None) -> None:
        result.append((value, threading.current_thread().name, repr(error)))
        finished.set()

    core.on(Ping, lambda _e: core.run_in_worker(slow, done))
    core.start()
    try:
        core.post(Ping(1))
        assert finished.wait(5)
    finally:
        core.stop()
    worker_name, callback_thread, error = result[0]
    assert str(worker_name).startswith("kiosk-worker")
    assert callback_thread == "kiosk-core"
    assert error == "None"


def test_a_failing_worker_reports_its_error() -> None:
    core = Core(InlineWorkers())
    errors: list[BaseException | None] = []

    def fail() -> None:
        raise ConnectionError("LMS gone")

    core.run_in_worker(fail, lambda _r, e: errors.append(e))
    core.drain()
    assert isinstance(errors[0], ConnectionError)


def test_a_failing_handler_does_not_stop_the_loop() -> None:
    core = Core(InlineWorkers())
    seen: list[int] = []

    def handler(event: Ping) -> None:
        if event.n == 1:
            raise RuntimeError("bad input")
        seen.append(event.n)

    core.on(Ping, handler)
    for n in range(3):
        core.post(Ping(n))
    assert core.drain() == 3
    assert seen == [0, 2]

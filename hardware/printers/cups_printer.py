"""The document printer: a CUPS queue, through pycups (libcups).

Documents are streamed to CUPS (never written to a local file: they are the patron's), as a job
titled with the kiosk's job id rather than the document's name, which may carry a patron's name.
CUPS picks the format from the bytes (PDF, PostScript, text, images). Job states are followed by job
id; the queue's state gives the health. When cupsd is unreachable every call raises
:class:`DeviceUnavailable` and the next call after the back-off reconnects.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import cups  # type: ignore[import-not-found]

from hardware.link import BACKOFF_S, DeviceLink
from kiosk.domain.errors import DeviceError, DeviceUnavailable
from kiosk.domain.model import DeviceHealth, DeviceState, PrintJob
from kiosk.settings import DocumentPrinterSettings

log = logging.getLogger(__name__)

R = TypeVar("R")

# IPP job-state values (RFC 8011 §5.3.7) as the kiosk names them.
JOB_STATES = {3: "pending", 4: "pending", 5: "processing", 6: "failed", 7: "canceled", 8: "failed",
              9: "completed"}
HTTP_CONTINUE = 100  # libcups: the document may go on (not exported by pycups)
FINAL_STATES = frozenset({"completed", "failed", "canceled"})
PRINTER_STOPPED = 5  # IPP printer-state (RFC 8011 §5.4.11): 3 idle, 4 processing, 5 stopped
CLIENT_ERRORS = range(0x0400, 0x0500)  # IPP status codes for "your request", not "the server"
PRINTER_ATTRIBUTES = ["printer-state", "printer-state-message", "printer-state-reasons",
                      "printer-is-accepting-jobs"]


class _Refused(Exception):
    """CUPS answered with an IPP client error (no such job, no such queue)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def server_from_settings(settings: DocumentPrinterSettings) -> tuple[str | None, int | None]:
    """``cups_server`` as (host, port): "" is the system default, "/run/cups/cups.sock" a socket,
    "printhost" or "printhost:631" a host."""
    server = settings.cups_server.strip()
    if not server:
        return None, None
    if server.startswith("/"):
        return server, None
    host, sep, port = server.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return server, None


class CupsDocumentPrinter:
    """The :class:`kiosk.domain.ports.DocumentPrinter` for one CUPS queue. Thread-safe.

    :meth:`job_state` is one of "pending", "processing", "completed", "failed", "canceled",
    "unknown". "failed" means the job will not print without staff: CUPS aborted or stopped it, or
    the queue itself is stopped (if staff restart the queue, a later call may say "completed").
    """

    def __init__(
        self,
        queue: str,
        *,
        host: str | None = None,
        port: int | None = None,
        name: str = "document printer",
        backoff_s: Sequence[float] = BACKOFF_S,
    ) -> None:
        self.queue = queue
        self.name = name
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._link: DeviceLink[Any] = DeviceLink(name, self._connect, lambda _: None, backoff_s=backoff_s)

    @property
    def server(self) -> str:
        if self._host is None:
            return "the system CUPS"
        return self._host if self._port is None else f"{self._host}:{self._port}"

    def submit(self, job: PrintJob, document: bytes) -> str:
        """Queue ``document`` with the job's copies and colour; returns the CUPS job id. Raises
        :class:`DeviceUnavailable` if CUPS is unreachable or the queue is stopped or refusing jobs,
        :class:`DeviceError` if CUPS refuses the job itself."""
        health = self.health()
        if health.state is DeviceState.UNAVAILABLE:
            raise DeviceUnavailable(f"{self.name}: {health.detail}")
        options = {"copies": str(max(job.copies, 1)),
                   "print-color-mode": "color" if job.colour else "monochrome"}
        title = f"kiosk-{job.job_id}"

        def send(connection: Any) -> int:
            printer_job = int(connection.createJob(self.queue, title, options))
            started = connection.startDocument(self.queue, printer_job, title, cups.CUPS_FORMAT_AUTO, 1)
            written = started == HTTP_CONTINUE and connection.writeRequestData(document, len(document))
            if written != HTTP_CONTINUE:
                raise OSError(f"CUPS stopped taking the document of job {printer_job}")
            connection.finishDocument(self.queue)
            return printer_job

        try:
            printer_job = self._call(send)
        except _Refused as exc:
            raise DeviceError(f"{self.name}: CUPS refused the job: {exc}") from exc
        log.info("%s: job %s sent to %s as CUPS job %d (%d copies, %s)", self.name, job.job_id,
                 self.queue, printer_job, job.copies, options["print-color-mode"])
        return str(printer_job)

    def job_state(self, printer_job_id: str) -> str:
        if not printer_job_id.isdigit():
            return "unknown"
        try:
            attributes = self._call(lambda c: c.getJobAttributes(
                int(printer_job_id), requested_attributes=["job-state", "job-state-reasons"]))
        except _Refused:
            return "unknown"
        state = JOB_STATES.get(int(attributes.get("job-state", 0)), "unknown")
        if state in ("pending", "processing") and self._queue_stopped():
            return "failed"
        return state

    def wait(self, printer_job_id: str, timeout_s: float = 120.0, poll_s: float = 0.25) -> str:
        """Follow the job until it is completed, failed or canceled, or ``timeout_s`` passes;
        returns the last state seen."""
        deadline = time.monotonic() + timeout_s
        state = self.job_state(printer_job_id)
        while state not in FINAL_STATES and time.monotonic() < deadline:
            time.sleep(poll_s)
            state = self.job_state(printer_job_id)
        log.info("%s: CUPS job %s %s", self.name, printer_job_id, state)
        return state

    def cancel(self, printer_job_id: str) -> None:
        """Cancel the job (a job that cannot print must not come out later, unpaid)."""
        with contextlib.suppress(_Refused):  # already finished or gone
            self._call(lambda c: c.cancelJob(int(printer_job_id)))

    def health(self) -> DeviceHealth:
        """OK when the queue is idle or printing; DEGRADED on a warning (toner low); UNAVAILABLE
        when cupsd is unreachable, the queue is missing, stopped or not accepting jobs."""
        try:
            attributes = self._call(lambda c: c.getPrinterAttributes(
                self.queue, requested_attributes=PRINTER_ATTRIBUTES))
        except DeviceUnavailable:
            return self._link.health()
        except _Refused:
            return DeviceHealth(self.name, DeviceState.UNAVAILABLE,
                                f"no print queue named {self.queue} on {self.server}")
        message = str(attributes.get("printer-state-message", "")).strip()
        reasons = [r for r in attributes.get("printer-state-reasons", []) if r != "none"]
        if int(attributes.get("printer-state", 0)) == PRINTER_STOPPED:
            why = message or ", ".join(reasons) or "no reason given"
            return DeviceHealth(self.name, DeviceState.UNAVAILABLE, f"queue {self.queue} stopped: {why}")
        if not attributes.get("printer-is-accepting-jobs", True):
            return DeviceHealth(self.name, DeviceState.UNAVAILABLE,
                                f"queue {self.queue} is not accepting jobs {message}".strip())
        errors = [r for r in reasons if r.endswith("-error")]
        if errors:
            return DeviceHealth(self.name, DeviceState.UNAVAILABLE, ", ".join(errors))
        warnings = [r for r in reasons if r.endswith("-warning") or r.endswith("-report")]
        if warnings:
            return DeviceHealth(self.name, DeviceState.DEGRADED, ", ".join(warnings))
        return DeviceHealth(self.name, DeviceState.OK)

    def _queue_stopped(self) -> bool:
        try:
            attributes = self._call(lambda c: c.getPrinterAttributes(
                self.queue, requested_attributes=["printer-state"]))
        except _Refused:
            return True
        return int(attributes.get("printer-state", 0)) == PRINTER_STOPPED

    def _connect(self) -> Any:
        try:
            if self._host is None:
                return cups.Connection()
            if self._port is None:
                return cups.Connection(host=self._host)
            return cups.Connection(host=self._host, port=self._port)
        except RuntimeError as exc:  # pycups: "failed to connect to server"
            raise DeviceUnavailable(f"CUPS unreachable at {self.server} ({exc})") from exc

    def _call(self, operation: Callable[[Any], R]) -> R:
        """Run ``operation`` on the connection. Server trouble breaks the link and raises
        :class:`DeviceUnavailable`; an IPP client error raises :class:`_Refused`."""
        with self._lock:
            connection = self._link.get()
            try:
                return operation(connection)
            except cups.IPPError as exc:
                status, message = exc.args
                if status in CLIENT_ERRORS:
                    raise _Refused(status, message) from exc
                self._link.fail(f"CUPS at {self.server}: {message}")
                raise DeviceUnavailable(f"{self.name}: {self._link.health().detail}") from exc
            except (cups.HTTPError, RuntimeError, OSError) as exc:
                self._link.fail(f"CUPS at {self.server}: {exc}")
                raise DeviceUnavailable(f"{self.name}: {self._link.health().detail}") from exc

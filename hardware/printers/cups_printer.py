"""The document printer: a CUPS queue, through pycups (libcups), and the printer behind it, in IPP.

Documents are streamed to CUPS (never written to a local file: they are the patron's), as a job
titled with the kiosk's job id and a few random letters rather than the document's name, which may
carry a patron's name. CUPS picks the format from the bytes (PDF, PostScript, text, images). When the
queue's device is an IPP printer (``ipp://``, ``ipps://``), a job is followed on the printer itself
(:mod:`hardware.printers.ipp_printer`), and the printer's state is part of the health; any other
device (USB, a socket, cups-pdf) is followed by CUPS's record. When cupsd is unreachable every call
raises :class:`DeviceUnavailable` and the next call after the back-off reconnects.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import cups  # type: ignore[import-not-found]

from hardware.link import BACKOFF_S, DeviceLink
from hardware.printers.ipp import IppError
from hardware.printers.ipp_printer import QUIET_JOB_REASONS, FollowedJob, IppPrinter
from kiosk.domain.errors import DeviceError, DeviceUnavailable
from kiosk.domain.model import DeviceHealth, DeviceState, PrinterJobState, PrinterJobStatus, PrintJob
from kiosk.settings import DocumentPrinterSettings

log = logging.getLogger(__name__)

R = TypeVar("R")

# IPP job-state values (RFC 8011 §5.3.7) as the kiosk names them.
JOB_STATES: dict[int, PrinterJobState] = {3: "pending", 4: "pending", 5: "processing", 6: "failed",
                                          7: "canceled", 8: "failed", 9: "completed"}
HTTP_CONTINUE = 100  # libcups: the document may go on (not exported by pycups)
PRINTER_STOPPED = 5  # IPP printer-state (RFC 8011 §5.4.11): 3 idle, 4 processing, 5 stopped
CLIENT_ERRORS = range(0x0400, 0x0500)  # IPP status codes for "your request", not "the server"
QUEUE_ATTRIBUTES = ["printer-state", "printer-state-message", "printer-state-reasons",
                    "printer-is-accepting-jobs", "device-uri"]
IPP_DEVICES = ("ipp://", "ipps://")  # CUPS's ipp backend: a printer that can be asked about its jobs
FOLLOWED_KEPT = 256  # jobs whose printer-side job is remembered (a long day's printing)


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

    :meth:`job_status` is the printer's own word on a job this driver submitted to an IPP printer:
    "completed" only when the printer's job completed without an error; "failed" when the printer
    aborted or stopped it (a jam, an empty tray, an open door: the keywords in ``reasons``), or has
    not answered for ``printer_grace_s`` (reason "offline"). A failed job may still be held by the
    printer: :meth:`cancel` it, or it may come out once staff clear the jam. Jobs submitted before
    this driver started, and queues whose device is not an IPP printer, are followed by CUPS's
    record ("failed" too when CUPS aborted or stopped the job, or the queue is stopped).
    """

    def __init__(
        self,
        queue: str,
        *,
        host: str | None = None,
        port: int | None = None,
        name: str = "document printer",
        backoff_s: Sequence[float] = BACKOFF_S,
        printer_timeout_s: float = 5.0,
        printer_grace_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.queue = queue
        self.name = name
        self._host = host
        self._port = port
        self._printer_timeout_s = printer_timeout_s
        self._printer_grace_s = printer_grace_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._link: DeviceLink[Any] = DeviceLink(name, self._connect, lambda _: None, backoff_s=backoff_s)
        self._printer: tuple[str, IppPrinter | None] | None = None  # (device URI, printer)
        self._followed: OrderedDict[int, FollowedJob] = OrderedDict()
        self._follow_lock = threading.Lock()

    @property
    def server(self) -> str:
        if self._host is None:
            return "the system CUPS"
        return self._host if self._port is None else f"{self._host}:{self._port}"

    def submit(self, job: PrintJob, document: bytes) -> str:
        """Queue ``document`` with the job's copies, colour and sides; returns the CUPS job id.
        Raises :class:`DeviceUnavailable` if CUPS is unreachable, the queue is stopped or refusing
        jobs, or the printer cannot print now; :class:`DeviceError` if CUPS refuses the job itself."""
        health = self.health()
        if health.state is DeviceState.UNAVAILABLE:
            raise DeviceUnavailable(f"{self.name}: {health.detail}")
        options = {"copies": str(max(job.copies, 1)),
                   "print-color-mode": "color" if job.colour else "monochrome",
                   "sides": "two-sided-long-edge" if job.duplex else "one-sided"}
        # Unique, so that the printer's job can be told from an earlier try of the same job.
        title = f"kiosk-{job.job_id}-{secrets.token_hex(3)}"
        printer = self._printer[1] if self._printer is not None else None  # as health() just found it

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
        if printer is not None:
            with self._follow_lock:
                self._followed[printer_job] = FollowedJob(printer, printer_job, title, self._monotonic())
                while len(self._followed) > FOLLOWED_KEPT:
                    self._followed.popitem(last=False)
        log.info("%s: job %s sent to %s as CUPS job %d (%d copies, %s, %s)", self.name, job.job_id,
                 self.queue, printer_job, job.copies, options["print-color-mode"], options["sides"])
        return str(printer_job)

    def job_status(self, printer_job_id: str) -> PrinterJobStatus:
        """See the class. :class:`DeviceUnavailable` when CUPS is unreachable."""
        if not printer_job_id.isdigit():
            return PrinterJobStatus("unknown", detail=f"{printer_job_id!r} is not a CUPS job id")
        cups_job = int(printer_job_id)
        cups_record = self._cups_record(cups_job)
        with self._follow_lock:
            followed = self._followed.get(cups_job)
            if followed is None or cups_record.state == "unknown":
                return cups_record
            before = followed.last
            status = followed.status(cups_record, self._monotonic(), self._printer_grace_s)
        if before is None or (before.state, before.reasons) != (status.state, status.reasons):
            log.info("%s: CUPS job %d on the printer: %s %s (%s)", self.name, cups_job, status.state,
                     ",".join(status.reasons), status.detail)
        return status

    def job_state(self, printer_job_id: str) -> str:
        return self.job_status(printer_job_id).state

    def wait(self, printer_job_id: str, timeout_s: float = 120.0, poll_s: float = 0.25) -> PrinterJobStatus:
        """Follow the job until it is completed, failed or canceled, or ``timeout_s`` passes;
        returns the last status seen."""
        deadline = time.monotonic() + timeout_s
        status = self.job_status(printer_job_id)
        while not status.final and time.monotonic() < deadline:
            time.sleep(poll_s)
            status = self.job_status(printer_job_id)
        return status

    def cancel(self, printer_job_id: str) -> None:
        """Cancel the job on the printer and in CUPS (a job that cannot print must not come out
        later, unpaid). A job already finished or gone is left as it is. A printer that does not
        answer is logged: the job is cancelled in CUPS all the same, so CUPS will not send it again."""
        if not printer_job_id.isdigit():
            return
        cups_job = int(printer_job_id)
        with self._follow_lock:
            followed = self._followed.get(cups_job)
            if followed is not None:
                try:
                    followed.cancel()
                except IppError as exc:
                    log.warning("%s: CUPS job %d not cancelled on the printer: %s", self.name, cups_job, exc)
        with contextlib.suppress(_Refused):  # already finished or gone
            self._call(lambda c: c.cancelJob(cups_job))
        log.info("%s: CUPS job %d cancelled", self.name, cups_job)

    def health(self) -> DeviceHealth:
        """OK when the queue and the printer are ready; DEGRADED on a warning (toner low);
        UNAVAILABLE when cupsd is unreachable, the queue is missing, stopped or not accepting jobs,
        or the printer does not answer or cannot print (a jam, no paper, a door open)."""
        try:
            attributes = self._call(lambda c: c.getPrinterAttributes(
                self.queue, requested_attributes=QUEUE_ATTRIBUTES))
        except DeviceUnavailable:
            return self._link.health()
        except _Refused:
            return DeviceHealth(self.name, DeviceState.UNAVAILABLE,
                                f"no print queue named {self.queue} on {self.server}")
        queue = self._queue_health(attributes)
        printer = self._printer_at(str(attributes.get("device-uri", "")))
        if printer is None or queue.state is DeviceState.UNAVAILABLE:
            return queue
        try:
            health = printer.state().health(self.name)
        except IppError as exc:
            return DeviceHealth(self.name, DeviceState.UNAVAILABLE, str(exc))
        return health if health.state is not DeviceState.OK else queue

    def _queue_health(self, attributes: dict[str, Any]) -> DeviceHealth:
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

    def _cups_record(self, cups_job: int) -> PrinterJobStatus:
        """The job as CUPS records it: "failed" too while the queue is stopped."""
        try:
            attributes = self._call(lambda c: c.getJobAttributes(
                cups_job, requested_attributes=["job-state", "job-state-reasons"]))
        except _Refused:
            return PrinterJobStatus("unknown", detail=f"CUPS has no job {cups_job}")
        state = JOB_STATES.get(int(attributes.get("job-state", 0)), "unknown")
        reasons = attributes.get("job-state-reasons", [])
        reasons = tuple(r for r in ([reasons] if isinstance(reasons, str) else reasons)
                        if r not in QUIET_JOB_REASONS)
        if state in ("pending", "processing") and self._queue_stopped():
            return PrinterJobStatus("failed", reasons, None, f"queue {self.queue} stopped")
        return PrinterJobStatus(state, reasons, None, f"{state} in CUPS")

    def _queue_stopped(self) -> bool:
        try:
            attributes = self._call(lambda c: c.getPrinterAttributes(
                self.queue, requested_attributes=["printer-state"]))
        except _Refused:
            return True
        return int(attributes.get("printer-state", 0)) == PRINTER_STOPPED

    def _printer_at(self, device_uri: str) -> IppPrinter | None:
        """The printer behind the queue, if CUPS reaches it over IPP; kept for :meth:`submit`."""
        if self._printer is None or self._printer[0] != device_uri:
            try:
                printer = (IppPrinter(device_uri, user=cups.getUser(), timeout_s=self._printer_timeout_s)
                           if device_uri.startswith(IPP_DEVICES) else None)
            except ValueError:  # ipp:// with no host
                printer = None
            self._printer = (device_uri, printer)
        return self._printer[1]

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

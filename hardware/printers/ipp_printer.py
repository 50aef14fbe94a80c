"""The printer itself, asked in IPP: its state, and the job CUPS's ``ipp`` backend created on it.

CUPS's record of a job is not what the printer did: a job the printer aborted with a paper jam was
"completed" in CUPS, blank backs of duplex sheets count as impressions, and a printer that went away
mid-job leaves CUPS "processing" for as long as it waits. So the kiosk finds the printer's own job
and follows that.

How the printer's job is found: CUPS's ``ipp`` backend creates it with ``job-name`` set to the CUPS
job's title (Create-Job), or to "<CUPS job id> - <title>" (a printer with Print-Job only), and tells
cupsd nothing about it (CUPS 2.4, backend/ipp.c ``new_request``; the backend's own monitor finds a
job the same way when the printer gave no job id). The kiosk titles every job uniquely, so Get-Jobs
on the printer and that name find it; from then on it is asked for by its job id.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from hardware.printers.ipp import (
    GONE,
    NOT_FOUND,
    NOT_POSSIBLE,
    Attributes,
    IppClient,
    IppError,
    IppRefused,
    first_int,
    first_text,
    texts,
)
from kiosk.domain.model import DeviceHealth, DeviceState, PrinterJobState, PrinterJobStatus

log = logging.getLogger(__name__)

# job-state (RFC 8011 §5.3.7)
PENDING, HELD, PROCESSING, STOPPED, CANCELED, ABORTED, COMPLETED = range(3, 10)
PRINTER_STOPPED = 5  # printer-state (RFC 8011 §5.4.11)

# printer-state-reasons (RFC 8011 §5.4.12, PWG 5100.9) that keep a printer from printing, whatever
# their suffix: ippeveprinter (and so, likely, printers built on its code) suffixes every keyword by
# the printer's state, not by how bad it is: a jam is "media-jam-report" while idle, "-warning" while
# the job hangs on it.
STOPPING = frozenset({"media-jam", "media-needed", "door-open", "cover-open", "interlock-open",
                      "output-area-full", "paused", "moving-to-paused", "shutdown", "offline"})
# Those that keep it from printing when they are errors: a printer with another tray or colour may
# go on ("media-empty-warning"); a job that needs the empty tray makes it say "media-needed".
STOPPING_IF_ERROR = frozenset({
    "media-empty", "toner-empty", "marker-supply-empty", "marker-waste-full", "developer-empty",
    "opc-life-over", "input-tray-missing", "output-tray-missing", "fuser-over-temp", "fuser-under-temp",
    "spool-area-full"})
RUNNING_LOW = frozenset({"toner-low", "media-low", "marker-supply-low", "developer-low",
                         "marker-waste-almost-full", "output-area-almost-full", "opc-near-eol"})
# job-state-reasons that say nothing a person needs to know.
QUIET_JOB_REASONS = frozenset({
    "none", "job-printing", "job-completed-successfully", "job-incoming", "job-queued",
    "job-data-insufficient", "job-hold-until-specified", "job-transforming", "job-interpreting",
    "job-spooling", "job-queued-for-marker", "job-fetchable", "processing-to-stop-point",
})
JOB_ATTRIBUTES = ("job-id", "job-state", "job-state-reasons", "job-state-message",
                  "job-impressions-completed", "job-media-sheets-completed", "copies", "sides")
PRINTER_ATTRIBUTES = ("printer-state", "printer-state-reasons", "printer-state-message",
                      "printer-is-accepting-jobs")


def _keyword(reason: str) -> tuple[str, str]:
    """("media-jam", "error") from "media-jam-error"; a bare keyword has no level ("")."""
    for level in ("error", "warning", "report"):
        if reason.endswith(f"-{level}"):
            return reason.removesuffix(f"-{level}"), level
    return reason, ""


def _unique(reasons: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reasons))


@dataclass(frozen=True)
class PrinterState:
    """printer-state and its reasons, as the printer says them."""

    state: int
    reasons: tuple[str, ...] = ()
    message: str = ""
    accepting: bool = True

    @property
    def stopping(self) -> tuple[str, ...]:
        """What keeps it from printing, as bare keywords ("media-jam"). A keyword without a suffix
        is an error (RFC 8011), but only known ones are taken as one: printers send bare
        informational keywords too."""
        return _unique(keyword for keyword, level in map(_keyword, self.reasons) if level == "error"
                       or keyword in STOPPING or (not level and keyword in STOPPING_IF_ERROR))

    @property
    def warnings(self) -> tuple[str, ...]:
        """What staff should see to, though it prints ("toner-low", an empty second tray)."""
        stopping = self.stopping
        return _unique(keyword for keyword, level in map(_keyword, self.reasons) if keyword not in stopping
                       and (level == "warning" or keyword in RUNNING_LOW or keyword in STOPPING_IF_ERROR))

    def health(self, device: str) -> DeviceHealth:
        """UNAVAILABLE when something keeps it from printing, DEGRADED when a supply runs low."""
        said = f" ({self.message})" if self.message else ""
        if self.stopping:
            return DeviceHealth(device, DeviceState.UNAVAILABLE, f"printer: {', '.join(self.stopping)}{said}")
        if self.state == PRINTER_STOPPED:
            return DeviceHealth(device, DeviceState.UNAVAILABLE, f"printer stopped{said}")
        if not self.accepting:
            return DeviceHealth(device, DeviceState.UNAVAILABLE, f"printer not accepting jobs{said}")
        if self.warnings:
            return DeviceHealth(device, DeviceState.DEGRADED, f"printer: {', '.join(self.warnings)}")
        return DeviceHealth(device, DeviceState.OK)


@dataclass(frozen=True)
class PrinterJob:
    """A job on the printer, as the printer says it stands."""

    job_id: int
    state: int
    reasons: tuple[str, ...] = ()
    message: str = ""
    impressions: int | None = None  # job-impressions-completed: sides printed
    sheets: int | None = None  # job-media-sheets-completed
    copies: int = 1
    two_sided: bool = False

    @property
    def sheets_out(self) -> int | None:
        """Sheets printed: the printer's count, or else counted from its impressions (two to a sheet
        in duplex, each copy starting on a new sheet)."""
        if self.sheets is not None and (self.sheets > 0 or not self.impressions):
            return self.sheets
        if self.impressions is None or not self.two_sided:
            return self.impressions
        copies = max(self.copies, 1)
        if self.impressions % copies == 0:
            return copies * -(-(self.impressions // copies) // 2)
        return -(-self.impressions // 2)

    def status(self, printer: PrinterState, seen: Iterable[str] = ()) -> PrinterJobStatus:
        """What the kiosk makes of this job on ``printer``; ``seen``: what stopped the printer
        earlier in the job (a jam cleared since still explains why it was aborted)."""
        told = tuple(r for r in self.reasons if r not in QUIET_JOB_REASONS)
        sheets, said = self.sheets_out, f": {self.message}" if self.message else ""
        if self.state == COMPLETED:
            errors = tuple(r for r in told if r.endswith("-error") or r in ("job-completed-with-errors",
                                                                              "aborted-by-system"))
            if errors:
                return PrinterJobStatus("failed", errors, sheets, f"finished with errors{said}")
            return PrinterJobStatus("completed", (), sheets, f"printed, {sheets} sheets" if sheets is not None
                                    else "printed")
        if self.state == CANCELED:
            return PrinterJobStatus("canceled", told, sheets, f"canceled on the printer{said}")
        reasons = _unique((*seen, *printer.stopping, *printer.warnings, *told))
        if self.state in (ABORTED, STOPPED):
            return PrinterJobStatus("failed", reasons, sheets, f"the printer stopped the job{said}")
        if printer.stopping or printer.state == PRINTER_STOPPED:
            stopped = ", ".join(printer.stopping) or "stopped"
            return PrinterJobStatus("failed", reasons, sheets, f"the printer stopped: {stopped}{said}")
        state: PrinterJobState = "processing" if self.state == PROCESSING else "pending"
        return PrinterJobStatus(state, told, sheets, f"{state} on the printer{said}")


def _job(attributes: Attributes, job_id: int) -> PrinterJob:
    def count(name: str) -> int | None:
        value = first_int(attributes, name)
        return value if value is not None and value >= 0 else None

    return PrinterJob(job_id, first_int(attributes, "job-state") or 0,
                      texts(attributes, "job-state-reasons"), first_text(attributes, "job-state-message"),
                      count("job-impressions-completed"), count("job-media-sheets-completed"),
                      count("copies") or 1, first_text(attributes, "sides").startswith("two-sided"))


class IppPrinter:
    """A printer addressed by the device URI of its CUPS queue; every call may raise
    :class:`~hardware.printers.ipp.IppError`."""

    def __init__(self, uri: str, *, user: str, timeout_s: float = 5.0) -> None:
        self.client = IppClient(uri, user=user, timeout_s=timeout_s)
        self.uri = self.client.uri

    def state(self) -> PrinterState:
        attributes = self.client.get_printer_attributes(PRINTER_ATTRIBUTES)
        accepting = (attributes.get("printer-is-accepting-jobs") or [True])[0]
        return PrinterState(first_int(attributes, "printer-state") or 0,
                            tuple(r for r in texts(attributes, "printer-state-reasons") if r != "none"),
                            first_text(attributes, "printer-state-message"), accepting is not False)

    def find_job(self, names: Collection[str]) -> int | None:
        """The newest job on the printer with one of ``names``, or None."""
        for which in ("not-completed", "completed"):
            try:
                jobs = self.client.get_jobs(which, ("job-id", "job-name"))
            except IppRefused:  # which-jobs not supported: the other list may still have it
                continue
            found = [job_id for job in jobs if first_text(job, "job-name") in names
                     and (job_id := first_int(job, "job-id")) is not None]
            if found:
                return max(found)
        return None

    def job(self, job_id: int) -> PrinterJob:
        return _job(self.client.get_job_attributes(job_id, JOB_ATTRIBUTES), job_id)

    def cancel(self, job_id: int) -> None:
        """Cancel the job; one that already ended, or is gone, is left as it is."""
        try:
            self.client.cancel_job(job_id)
        except IppRefused as exc:
            if exc.status not in (NOT_POSSIBLE, NOT_FOUND, GONE):
                raise


@dataclass
class FollowedJob:
    """A CUPS job followed on its printer: which job it became there, when the printer last
    answered, and what stopped the printer during it. Not thread-safe: its driver holds a lock."""

    printer: IppPrinter
    cups_job: int
    title: str
    contact: float  # monotonic time the printer last answered about it (or the job was sent)
    printer_job: int | None = None
    seen: tuple[str, ...] = ()
    last: PrinterJobStatus | None = field(default=None, repr=False)

    @property
    def names(self) -> frozenset[str]:
        """The job-name CUPS's backend gives it on the printer (Create-Job, or Print-Job)."""
        return frozenset({self.title, f"{self.cups_job} - {self.title}"})

    def status(self, cups: PrinterJobStatus, now: float, grace_s: float) -> PrinterJobStatus:
        """The printer's word on the job. ``cups``: CUPS's record, which stands until the job is on
        the printer (waiting, or refused before it got there). A printer that has not answered for
        ``grace_s`` fails the job: CUPS would send it again once the printer is back, unpaid."""
        try:
            if self.printer_job is None and cups.state != "pending":
                self.printer_job = self.printer.find_job(self.names)
                if self.printer_job is not None:
                    log.info("CUPS job %d (%s) is job %d on %s", self.cups_job, self.title, self.printer_job,
                             self.printer.uri)
            if self.printer_job is None:
                self.contact = now
                if cups.state == "completed":
                    return PrinterJobStatus("unknown", (), None, "CUPS says it sent the job, but the "
                                            "printer does not list it: it may or may not have printed")
                return cups
            job, printer = self.printer.job(self.printer_job), self.printer.state()
        except IppRefused as exc:
            if exc.status not in (NOT_FOUND, GONE):
                return self._out_of_touch(exc, now, grace_s)
            if self.last is not None and self.last.final:  # the printer forgot it, after it ended
                return self.last
            return PrinterJobStatus("unknown", (), None, f"the printer no longer has job {self.printer_job}")
        except IppError as exc:
            return self._out_of_touch(exc, now, grace_s)
        self.contact = now
        status = job.status(printer, self.seen)
        if not status.final:
            self.seen = _unique((*self.seen, *printer.stopping))
        self.last = status
        return status

    def _out_of_touch(self, error: IppError, now: float, grace_s: float) -> PrinterJobStatus:
        if self.last is not None and self.last.final:
            return self.last
        away = now - self.contact
        if away < grace_s:
            state: PrinterJobState = self.last.state if self.last is not None else "processing"
            return PrinterJobStatus(state, (), None, f"the printer does not answer, waiting: {error}")
        return PrinterJobStatus("failed", _unique((*self.seen, "offline")), None,
                                f"the printer has not answered for {away:.0f} s: {error}")

    def cancel(self) -> None:
        """Cancel the job on the printer, finding it first if need be."""
        if self.printer_job is None:
            self.printer_job = self.printer.find_job(self.names)
        if self.printer_job is not None:
            self.printer.cancel(self.printer_job)
            log.info("CUPS job %d: job %d on %s canceled", self.cups_job, self.printer_job, self.printer.uri)

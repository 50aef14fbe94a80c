"""Office documents to PDF for print release: LibreOffice, headless, on the central service.

What is an office document is decided by its bytes, with the file name's extension only where the
bytes leave it open: an OpenDocument file (a zip whose ``mimetype`` says text, spreadsheet or
presentation), an Office Open XML file (a zip with ``word/``, ``xl/`` or ``ppt/``), RTF (``{\\rtf``),
an old binary Office file (an OLE2 compound file named .doc, .xls or .ppt) and plain text (named .txt,
no NUL bytes, UTF-8 or Windows-1252).

Each conversion runs ``soffice --headless --convert-to pdf`` in a private folder made for it and
removed afterwards, with a profile of its own made there (``-env:UserInstallation``), in which macros
are switched off, links to other files or to the web are never updated and untrusted referrers are
blocked. The process gets its own session and a clean environment (nothing of the service's, whose
variables may hold a database password); at the time limit its whole process group is killed. One
conversion runs at a time (LibreOffice is heavy, and two of them in one profile lock each other out);
a document waits for the one before it for at most a few time limits, then is refused as busy.

This is not a sandbox: LibreOffice reads the document as the service's user. The profile's settings
keep the known ways a document pulls in other files shut; a municipality that wants more runs the
service as a user who can read nothing else of value.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path

from sync.central.server.print_analysis import NotAPrintableDocument

log = logging.getLogger("sync.central.office")

MAX_OFFICE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # what a zipped document may unpack to (a zip bomb is refused)
CONVERT_TIMEOUT_S = 60.0
EXTENSIONS = frozenset({"docx", "doc", "odt", "rtf", "txt", "xlsx", "xls", "ods", "pptx", "ppt", "odp"})
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF = {"application/vnd.oasis.opendocument.text": "odt",
        "application/vnd.oasis.opendocument.spreadsheet": "ods",
        "application/vnd.oasis.opendocument.presentation": "odp"}
_OOXML = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}

# The throw-away profile's settings (officecfg): no macro runs, whatever the document asks; linked
# files, sections and pictures are never fetched (Writer: 0 = never, Calc: 1 = never).
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">
 <prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">
 <prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">
 <prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update">
 <prop oor:name="Link" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update">
 <prop oor:name="Link" oor:op="fuse"><value>1</value></prop></item>
</oor:items>
"""


class OfficeUnavailable(NotAPrintableDocument):
    """An office document, and LibreOffice is not installed on this service."""

    def __init__(self) -> None:
        super().__init__("office documents are not accepted here: save it as PDF first", "no_office")


class CannotConvert(NotAPrintableDocument):
    """LibreOffice did not make a PDF of it (broken, too slow, too large, or busy); ``reason`` says which."""


def office_kind(data: bytes, name: str) -> str | None:
    """The kind of office document these bytes are (its usual extension: "docx", "ods", ...), or None
    when they are not one this service converts."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if data.startswith(b"PK\x03\x04"):
        return _zipped_kind(data)
    if data.startswith(b"{\\rtf"):
        return "rtf"
    if data.startswith(_OLE2):
        # Word, Excel and PowerPoint 97-2003 share the container; LibreOffice tells them apart itself.
        return extension if extension in {"doc", "xls", "ppt"} else None
    if extension == "txt" and _text(data) is not None:
        return "txt"
    return None


def _zipped_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as packed:
            members = packed.infolist()
            if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
                return None
            names = {member.filename for member in members}
            if "mimetype" in names:
                return _ODF.get(packed.read("mimetype")[:100].decode("ascii", "replace").strip())
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((kind for part, kind in _OOXML.items() if part in names), None)


def _text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return codecs.decode(data, encoding)
        except UnicodeDecodeError:
            continue
    return None


class OfficeConverter:
    """Converts office documents to PDF with LibreOffice (``soffice``; None: not installed, and
    every office document is refused with :class:`OfficeUnavailable`)."""

    def __init__(self, soffice: str | None = None, *, timeout_s: float = CONVERT_TIMEOUT_S,
                 max_bytes: int = MAX_OFFICE_BYTES, queue_wait_s: float | None = None) -> None:
        self.soffice = soffice
        self.timeout_s, self.max_bytes = timeout_s, max_bytes
        self.queue_wait_s = 3 * timeout_s if queue_wait_s is None else queue_wait_s
        self._one_at_a_time = threading.Lock()

    @classmethod
    def installed(cls, *, timeout_s: float = CONVERT_TIMEOUT_S,
                  max_bytes: int = MAX_OFFICE_BYTES) -> OfficeConverter:
        """The converter with the ``soffice`` on PATH, if there is one."""
        return cls(shutil.which("soffice"), timeout_s=timeout_s, max_bytes=max_bytes)

    @property
    def available(self) -> bool:
        return self.soffice is not None

    def to_pdf(self, data: bytes, kind: str) -> bytes:
        """The PDF LibreOffice makes of an office document of ``kind`` (see :func:`office_kind`);
        :class:`OfficeUnavailable` or :class:`CannotConvert` otherwise."""
        if self.soffice is None:
            raise OfficeUnavailable
        if len(data) > self.max_bytes:
            raise CannotConvert(f"an office document may be at most {self.max_bytes // (1024 * 1024)} MB",
                                "office_too_large")
        if not self._one_at_a_time.acquire(timeout=self.queue_wait_s):
            raise CannotConvert("other documents are being converted: send it again in a minute", "busy")
        try:
            return self._convert(self.soffice, data, kind)
        finally:
            self._one_at_a_time.release()

    def _convert(self, soffice: str, data: bytes, kind: str) -> bytes:
        folder = Path(tempfile.mkdtemp(prefix="office-"))
        try:
            (folder / "profile" / "user").mkdir(parents=True)
            (folder / "profile" / "user" / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS,
                                                                                 encoding="utf-8")
            (folder / "out").mkdir()
            source = folder / f"document.{kind}"
            command = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                       "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck"]
            if kind == "txt":
                text = _text(data)
                source.write_text(text or "", encoding="utf-8")
                command.append("--infilter=Text (encoded):UTF8,LF,,,")
            else:
                source.write_bytes(data)
            command += ["--convert-to", "pdf", "--outdir", str(folder / "out"), str(source)]
            self._run(command, folder)
            made = folder / "out" / "document.pdf"
            if not made.is_file() or made.stat().st_size == 0:
                raise CannotConvert("LibreOffice could not read it", "not_converted")
            return made.read_bytes()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _run(self, command: list[str], folder: Path) -> None:
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
                       "TMPDIR": str(folder), "LANG": "C.UTF-8", "SAL_USE_VCLPLUGIN": "svp"}
        process = subprocess.Popen(command, cwd=folder, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            log.warning("office conversion stopped after %g s", self.timeout_s)
            raise CannotConvert(f"converting it took longer than {self.timeout_s:g} s",
                                "conversion_timeout") from None
        _kill_group(process)  # anything it left behind
        if process.returncode != 0:
            log.info("soffice ended with %s: %s", process.returncode,
                     output[-300:].decode("utf-8", "replace").strip())


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """soffice is a script that starts oosplash, which starts soffice.bin: the whole group goes."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)

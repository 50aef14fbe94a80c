"""A PDF written by hand, for what the kiosk prints itself (the device test's page) and for tests:
pages of a given size with a content stream each, Helvetica as font F1. Nothing to install."""

from __future__ import annotations

from collections.abc import Sequence

A4 = (595, 842)  # points


def write_pdf(pages: Sequence[tuple[tuple[int, int], str]]) -> bytes:
    """A PDF whose pages have these media boxes (width, height in points) and content streams."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
                   b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(pages))), len(pages)),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for index, ((width, height), content) in enumerate(pages):
        stream = content.encode("latin-1", "replace")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 3 0 R >> >> >>" % (width, height, 5 + 2 * index))
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)

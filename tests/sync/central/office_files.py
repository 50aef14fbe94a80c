"""Small office documents made byte by byte for the tests (no python-docx here): an OpenDocument text
and a Word document, A4, a page per paragraph, a paragraph black text or filled with a colour."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

Page = tuple[str, str]  # (text, fill): fill "" for black text on white, else a colour like "ff0000"

_ODF_TEXT = "application/vnd.oasis.opendocument.text"
_ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
           'xmlns:xlink="http://www.w3.org/1999/xlink" '
           'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" office:version="1.2"')


def odt(*pages: Page, extra_body: str = "", extra_head: str = "",
        extra_files: dict[str, str] | None = None) -> bytes:
    """An OpenDocument text: one A4 page per (text, fill)."""
    styles = "".join(_paragraph_style(n, fill) for n, (_text, fill) in enumerate(pages))
    paragraphs = "".join(f'<text:p text:style-name="P{n}">{escape(text)}</text:p>'
                         for n, (text, _fill) in enumerate(pages))
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}>{extra_head}'
               f'<office:automatic-styles>{styles}</office:automatic-styles>'
               f'<office:body><office:text>{paragraphs}{extra_body}</office:text></office:body>'
               '</office:document-content>')
    page_styles = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {_ODF_NS}>'
                   '<office:automatic-styles><style:page-layout style:name="pm1">'
                   '<style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" '
                   'fo:margin="2cm"/></style:page-layout>'
                   '</office:automatic-styles><office:master-styles><style:master-page '
                   'style:name="Standard" style:page-layout-name="pm1"/></office:master-styles>'
                   '</office:document-styles>')
    files = {"content.xml": content, "styles.xml": page_styles, **(extra_files or {})}
    entries = "".join(f'<manifest:file-entry manifest:full-path="{name}" manifest:media-type="text/xml"/>'
                      for name in files)
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODF_TEXT}"/>{entries}'
                '</manifest:manifest>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as packed:
        packed.writestr(zipfile.ZipInfo("mimetype"), _ODF_TEXT, compress_type=zipfile.ZIP_STORED)
        packed.writestr("META-INF/manifest.xml", manifest)
        for name, text in files.items():
            packed.writestr(name, text)
    return out.getvalue()


def _paragraph_style(n: int, fill: str) -> str:
    breaks = ' fo:break-before="page"' if n else ""
    background = f' fo:background-color="#{fill}"' if fill else ""
    return (f'<style:style style:name="P{n}" style:family="paragraph"><style:paragraph-properties{breaks}'
            f'{background}/><style:text-properties fo:font-size="28pt"/></style:style>')


def docx(*pages: Page) -> bytes:
    """A Word document (Office Open XML): one A4 page per (text, fill)."""
    word = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = ""
    for n, (text, fill) in enumerate(pages):
        shading = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill.upper()}"/>' if fill else ""
        brk = '<w:r><w:br w:type="page"/></w:r>' if n else ""
        body += (f'<w:p><w:pPr>{shading}</w:pPr>{brk}<w:r><w:rPr><w:sz w:val="56"/></w:rPr>'
                 f'<w:t>{escape(text)}</w:t></w:r></w:p>')
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{word}">'
                f'<w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" '
                'w:right="1134" w:bottom="1134" w:left="1134" w:header="0" w:footer="0" w:gutter="0"/>'
                '</w:sectPr></w:body></w:document>')
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns='
             '"http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" '
             'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/word/document.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
             '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as packed:
        packed.writestr("[Content_Types].xml", types)
        packed.writestr("_rels/.rels", rels)
        packed.writestr("word/document.xml", document)
    return out.getvalue()


def hostile_odt(secret: str, marker: str) -> bytes:
    """An OpenDocument text that asks, on opening, to run its Basic macro (which would write
    ``marker``) and to show the local file ``secret`` in a linked section."""
    listener = ('<office:scripts><office:event-listeners><script:event-listener script:language="ooo:script" '
                'script:event-name="dom:load" xlink:type="simple" xlink:href="vnd.sun.star.script:'
                'Standard.Module1.Main?language=Basic&amp;location=document"/></office:event-listeners>'
                '</office:scripts>')
    section = (f'<text:section text:name="S1"><text:section-source xlink:href="file://{escape(secret)}" '
               'xlink:type="simple"/><text:p>placeholder</text:p></text:section>')
    module = ('<?xml version="1.0" encoding="UTF-8"?><script:module xmlns:script="http://openoffice.org/2000/'
              'script" script:name="Module1" script:language="StarBasic">'
              f'Sub Main\n  Open "{escape(marker)}" For Output As #1\n  Print #1, "macro ran"\n'
              '  Close #1\nEnd Sub\n</script:module>')
    library = ('<?xml version="1.0" encoding="UTF-8"?><library:library xmlns:library="http://openoffice.org/'
               '2000/library" library:name="Standard" library:readonly="false" '
               'library:passwordprotected="false">'
               '<library:element library:name="Module1"/></library:library>')
    libraries = ('<?xml version="1.0" encoding="UTF-8"?><library:libraries xmlns:library="http://openoffice.org/'
                 '2000/library" xmlns:xlink="http://www.w3.org/1999/xlink"><library:library '
                 'library:name="Standard" library:link="false"/></library:libraries>')
    return odt(("Visible text", ""), extra_head=listener, extra_body=section,
               extra_files={"Basic/Standard/Module1.xml": module, "Basic/Standard/script-lb.xml": library,
                            "Basic/script-lc.xml": libraries})

"""PDFs for the attachment tests and bench/bench_extraction.py: text, many pages, and slow to parse."""
from __future__ import annotations

import io
import zlib


def assemble(objects: list[bytes]) -> bytes:
    """A PDF from numbered object bodies (1 is the catalog), with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _stream(raw: bytes, compress: bool) -> bytes:
    if compress:
        packed = zlib.compress(raw, 9)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(raw) + raw + b"\nendstream"


def _pages(contents: list[int]) -> list[bytes]:
    return [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % number for number in contents]


def text_pdf(lines: list[str], compress: bool = False) -> bytes:
    """One page per line, each page its own content stream with that line as text."""
    n = len(lines)
    first_page = 4
    first_stream = first_page + n
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (first_page + i) for i in range(n)), n),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    objects += _pages([first_stream + i for i in range(n)])
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        objects.append(_stream(f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1"), compress))
    return assemble(objects)


def numbered_pdf(pages: int) -> bytes:
    return text_pdf([f"Page {i}: women avoid the underpass after dark." for i in range(1, pages + 1)],
                    compress=True)


def blank_pdf(pages: int = 2000) -> bytes:
    """Blank pages made with pypdf."""
    from pypdf import PdfWriter
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def slow_pdf(pages: int = 3, operators: int = 250_000) -> bytes:
    """About 13 KB that take pypdf roughly ``pages`` x 8 s to read, and give no text at all.

    One FlateDecode content stream inflates to ``operators`` empty text objects (``BT /F1 1 Tf () Tj ET``,
    5.25 MB): just under pypdf's budget of 2 million tokens per stream, so pypdf parses it all, in pure Python,
    about 8 s on the project's machine. Every page points to the same stream and pypdf parses it again for each
    page: 300 such pages are the "47 minutes at full CPU" file.
    """
    raw = b"BT /F1 1 Tf () Tj ET\n" * operators
    stream_number = 4 + pages
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (4 + i) for i in range(pages)), pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *_pages([stream_number] * pages),
        _stream(raw, compress=True),
    ]
    return assemble(objects)

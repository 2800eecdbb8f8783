"""Attachments: type by content, size limits, zip bombs, and bounded text extraction."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from peer_review.evidence.uploads import (
    MAX_UPLOAD_BYTES,
    UploadInfo,
    UploadRejected,
    check_upload,
    extract_text,
    safe_filename,
)
from tests.pdf_samples import assemble


def make_pdf(text: str = "Women avoid the underpass after dark.") -> bytes:
    """A minimal but valid one-page PDF with a text content stream, xref offsets computed."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return assemble(objects)


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Safety walk, Barrio Norte", level=1)
    document.add_paragraph("The lighting on Calle 5 is broken.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Place"
    table.cell(0, 1).text = "Feeling"
    table.cell(1, 0).text = "Bus stop"
    table.cell(1, 1).text = "Unsafe"
    document.add_paragraph("After the table.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


ODT_CONTENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
 <office:body><office:text>
  <text:h text:outline-level="1">Festival de barrio</text:h>
  <text:p>Las vecinas <text:span>organizaron</text:span> un festival.<text:s text:c="2"/>Fin<text:tab/>tab</text:p>
  <text:list><text:list-item><text:p>Item uno</text:p></text:list-item></text:list>
 </office:text></office:body>
</office:document-content>"""


def make_odt(content: bytes = ODT_CONTENT) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", b"<manifest/>", compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 30
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 30
GIF = b"GIF89a" + b"\x00" * 30
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 30


# --- accepted -------------------------------------------------------------------------------------------------


def test_pdf_accepted_and_text_extracted():
    data = make_pdf()
    info = check_upload("Informe final.pdf", data)
    assert info == UploadInfo(kind="pdf", mime="application/pdf", extension=".pdf", size=len(data))
    assert "underpass after dark" in extract_text("pdf", data)


def test_docx_accepted_and_paragraphs_and_tables_extracted_in_order():
    data = make_docx()
    info = check_upload("walk.docx", data)
    assert info.kind == "docx" and info.extension == ".docx"
    text = extract_text("docx", data)
    assert "Calle 5" in text
    assert "Bus stop\tUnsafe" in text
    assert text.index("Calle 5") < text.index("Bus stop") < text.index("After the table")


def test_odt_accepted_and_text_extracted():
    data = make_odt()
    info = check_upload("festival.odt", data)
    assert info.kind == "odt" and info.mime == "application/vnd.oasis.opendocument.text"
    text = extract_text("odt", data)
    assert "Festival de barrio" in text
    assert "Las vecinas organizaron un festival.  Fin\ttab" in text
    assert "Item uno" in text


@pytest.mark.parametrize(
    "name,data,kind",
    [("p.png", PNG, "png"), ("p.jpg", JPEG, "jpeg"), ("p.JPEG", JPEG, "jpeg"), ("p.gif", GIF, "gif"),
     ("p.webp", WEBP, "webp")],
)
def test_images_accepted_and_have_no_text(name, data, kind):
    info = check_upload(name, data)
    assert info.kind == kind
    assert extract_text(kind, data) == ""


def test_text_file_accepted_with_bom_and_accents():
    data = "\ufeffNotas del grupo focal: la señora dijo…\r\nSegunda línea".encode("utf-8")
    info = check_upload("notas.txt", data)
    assert info.kind == "txt" and info.mime == "text/plain"
    assert extract_text("txt", data) == "Notas del grupo focal: la señora dijo…\nSegunda línea"


def test_kind_comes_from_content_even_without_extension():
    assert check_upload("scan", make_pdf()).kind == "pdf"
    assert check_upload(None, b"plain words").kind == "txt"


# --- refused --------------------------------------------------------------------------------------------------


def rejected(name, data, **kw) -> str:
    with pytest.raises(UploadRejected) as info:
        check_upload(name, data, **kw)
    assert str(info.value)
    return str(info.value)


def test_renamed_executable_refused():
    message = rejected("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
    assert "Programs" in message


@pytest.mark.parametrize(
    "data",
    [b"\x7fELF\x02\x01\x01" + b"\x00" * 64, b"\xcf\xfa\xed\xfe" + b"\x00" * 64, b"#!/bin/sh\nrm -rf /\n"],
)
def test_other_executables_refused(data):
    assert "Programs" in rejected("notes.txt", data)


def test_pdf_name_with_other_content_refused():
    message = rejected("report.pdf", b"just some text pretending")
    assert ".pdf" in message and "TXT" in message
    message = rejected("photo.png", make_pdf())
    assert ".png" in message


def test_image_named_as_other_image_type_accepted_with_true_extension():
    info = check_upload("photo.jpg", PNG)
    assert (info.kind, info.extension, info.mime) == ("png", ".png", "image/png")
    assert ".jpg" in rejected("photo.jpg", make_pdf())


def test_unaccepted_extension_refused_even_if_content_is_text():
    assert ".html" in rejected("page.html", b"<html><script>alert(1)</script></html>")
    assert ".svg" in rejected("logo.svg", b"<svg onload='alert(1)'></svg>")


def test_empty_file_refused():
    assert "empty" in rejected("a.txt", b"")


def test_oversized_file_refused():
    message = rejected("big.pdf", b"%PDF-1.4\n" + b"0" * (MAX_UPLOAD_BYTES + 1))
    assert "too large" in message and "10.0 MB" in message
    assert "too large" in rejected("a.txt", b"x" * 101, max_bytes=100)


def test_text_with_nul_bytes_refused():
    assert "not accepted" in rejected("notes.txt", b"hello\x00world\x00" * 10)


def test_binary_garbage_refused():
    rejected("data.txt", bytes(range(128, 256)) * 4)


def test_plain_zip_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "hello")
    assert "Archives" in rejected("stuff.docx", out.getvalue())


@pytest.mark.parametrize("magic", [b"\x1f\x8b\x08\x00", b"Rar!\x1a\x07\x00", b"7z\xbc\xaf\x27\x1c\x00\x04"])
def test_other_archives_refused(magic):
    assert "Archives" in rejected("x.txt", magic + b"\x00" * 40)


def test_old_office_refused():
    assert "Old Microsoft Office" in rejected("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


def test_docx_zip_bomb_refused_without_extracting():
    base = make_docx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        padding = zipfile.ZipInfo("word/media/padding.bin")
        padding.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(padding, "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(60):
                member.write(chunk)
    data = out.getvalue()
    assert len(data) < 1024 * 1024  # small on disk...
    message = rejected("bomb.docx", data)
    assert "zip bomb" in message  # ...but refused from the directory listing alone
    with pytest.raises(UploadRejected):
        extract_text("docx", data)


def test_high_ratio_docx_refused():
    base = make_docx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("word/media/zeros.bin", b"\x00" * (20 * 1024 * 1024))
    assert "compressed far more" in rejected("bomb.docx", out.getvalue())


def test_docx_with_too_many_members_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        for index in range(2001):
            archive.writestr(f"x/{index}", "")
    assert "too many parts" in rejected("many.docx", out.getvalue())


def test_docx_with_macros_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_docx())) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("word/vbaProject.bin", b"\x00" * 10)
    assert "macros" in rejected("m.docx", out.getvalue())


def test_damaged_zip_refused():
    data = make_docx()[:300]
    assert "damaged" in rejected("cut.docx", data)


# --- extraction bounds and errors -----------------------------------------------------------------------------


def test_extraction_is_capped():
    data = ("palabra " * 10_000).encode()
    assert len(extract_text("txt", data, max_chars=1000)) == 1000
    assert len(extract_text("pdf", make_pdf("x" * 200), max_chars=50)) == 50


def test_damaged_pdf_gives_clear_message():
    with pytest.raises(UploadRejected) as info:
        extract_text("pdf", b"%PDF-1.4\n garbage without structure")
    assert "PDF" in str(info.value)


def test_damaged_docx_gives_clear_message():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "not xml")
        archive.writestr("word/document.xml", "<<<")
    with pytest.raises(UploadRejected) as info:
        extract_text("docx", out.getvalue())
    assert "DOCX" in str(info.value)


def test_odt_with_entity_expansion_is_not_expanded():
    evil = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><text:p>x&b;y</text:p></office:document-content>"""
    text = extract_text("odt", make_odt(evil))
    assert "AAAA" not in text


def test_unknown_kind():
    with pytest.raises(UploadRejected):
        extract_text("exe", b"MZ")


# --- file names -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,expected",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\Informe final.pdf", "Informe_final.pdf"),
        ("café señal.docx", "café_señal.docx"),
        ("..hidden", "hidden"),
        ("", "attachment"),
        (None, "attachment"),
        ("<script>.txt", "script.txt"),
        ("a\x00b\r\n.txt", "ab.txt"),
        (".pdf", "pdf"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_length_keeps_extension():
    name = safe_filename("a" * 500 + ".pdf")
    assert len(name) == 120 and name.endswith(".pdf")

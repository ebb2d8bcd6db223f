"""OCR of scanned PDF pages: detection on the OCR text, true (pixel) redaction checked by a
second OCR and a second library, low-confidence pages refer, and no tesseract keeps refer."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from triage.classifiers.text import TextAnalyzer
from triage.documents import apply, load_document, propose
from triage.documents import ocr as doc_ocr
from triage.documents.ocr import OcrPage, OcrUnavailable, OcrWord, find_tesseract
from triage.runner import check_document

pymupdf = pytest.importorskip("pymupdf")


def _tesseract_missing() -> str | None:
    try:
        find_tesseract()
    except OcrUnavailable as exc:
        return str(exc)
    return None


needs_tesseract = pytest.mark.skipif(
    _tesseract_missing() is not None,
    reason=f"OCR tests need Debian's tesseract ({_tesseract_missing()}); .ci/setup installs it",
)

#: planted documents: (lines, the strings that must be gone, entities that must be found)
LETTERS = {
    "whitcombe": (
        [
            "Complaint received from Janet Whitcombe on 3 May.",
            "Her email address is janet.whitcombe@example.org and",
            "her NHS number is 943 476 5919.",
            "She lives at 12 Park Road, Leeds LS1 4AP.",
            "The council will reply within twenty working days.",
        ],
        ["Janet Whitcombe", "Whitcombe", "janet.whitcombe@example.org", "943 476 5919", "LS1 4AP"],
        {"PERSON", "EMAIL_ADDRESS", "UK_NHS", "UK_POSTCODE"},
    ),
    "ashworth": (
        [
            "Mr Kevin Ashworth wrote to the housing team again.",
            "Contact: kevin.ashworth@example.net",
            "NHS number 450 557 7104, postcode B33 8TH.",
            "The council will reply within twenty working days.",
        ],
        ["Kevin Ashworth", "Ashworth", "kevin.ashworth@example.net", "450 557 7104", "B33 8TH"],
        {"PERSON", "EMAIL_ADDRESS", "UK_NHS", "UK_POSTCODE"},
    ),
}
KEPT = "council will reply within twenty working days"


def _text_pixmap(
    lines: list[str], size: float = 14, dpi: int = 300, rotation: int = 0
) -> pymupdf.Pixmap:
    """``lines`` drawn on an A4 page and rasterised in grey (a clean scan), turned by
    ``rotation`` degrees."""
    with pymupdf.open() as tmp:
        page = tmp.new_page(width=595, height=842)
        for i, line in enumerate(lines):
            page.insert_text((72, 100 + 2 * size * i), line, fontsize=size, fontname="helv")
        page.set_rotation(rotation)
        return page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)


def _image_pdf(path: Path, pix: pymupdf.Pixmap, rotation: int = 0) -> Path:
    """A one-page PDF holding only ``pix``; with ``rotation`` the image is stored sideways
    and the page's /Rotate turns it upright (as scanners write landscape feeds)."""
    with pymupdf.open() as pdf:
        if rotation:
            page = pdf.new_page(width=842, height=595)
            page.insert_image(page.rect, pixmap=pix, rotate=rotation)
            page.set_rotation(rotation)
        else:
            page = pdf.new_page(width=595, height=842)
            page.insert_image(page.rect, pixmap=pix)
        pdf.save(str(path))
    return path


def _leaks(secret: str, text: str) -> bool:
    """Any four characters in a row of ``secret`` (a word cut in half leaks too)."""
    text = text.casefold()
    return any(
        word[i : i + 4] in text
        for word in secret.casefold().split()
        for i in range(max(len(word) - 3, 0))
    )


def _images_read_alone(pdf: pymupdf.Document) -> list[str]:
    """OCR of each image object of ``pdf``, extracted as stored and read on its own page."""
    texts = []
    for xref in range(1, pdf.xref_length()):
        if pdf.xref_get_key(xref, "Subtype")[1] != "/Image":
            continue
        stored = pdf.extract_image(xref)
        with pymupdf.open() as single:
            page = single.new_page(width=stored["width"] * 0.24, height=stored["height"] * 0.24)
            page.insert_image(page.rect, stream=stored["image"])
            texts.append(doc_ocr.ocr_page(page, 1, find_tesseract()).text)
    return texts


def _reocr(path: Path) -> str:
    with pymupdf.open(str(path)) as pdf:
        return "\n".join(
            doc_ocr.ocr_page(page, n, find_tesseract()).text for n, page in enumerate(pdf, 1)
        )


@needs_tesseract
@pytest.mark.parametrize("rotation", [0, 90])
@pytest.mark.parametrize("letter", sorted(LETTERS))
def test_scanned_page_is_checked_and_truly_redacted(
    tmp_path: Path, analyzer: TextAnalyzer, letter: str, rotation: int
) -> None:
    pypdf = pytest.importorskip("pypdf")
    lines, secrets, entities = LETTERS[letter]
    src = _image_pdf(tmp_path / "scan.pdf", _text_pixmap(lines), rotation)
    doc = load_document(src)
    assert [b.location for b in doc.blocks if b.location.startswith("page")] == ["page 1 (OCR)"]
    # hidden parts are read as text runs, binary streams (the ICC profile) never as noise
    assert not any(c < " " and c not in "\t\n\r" for b in doc.blocks for c in b.text)
    assert [(p.kind, p.forces) for p in doc.problems] == [("pdf_page_ocr", "release")]
    for secret in secrets:
        assert secret in doc.blocks[0].text, secret  # read correctly, so it can be found
    report = check_document(src, "foi", analyzer=analyzer, out_dir=tmp_path / "o")
    proposals = json.loads((tmp_path / "o" / "proposals.json").read_text(encoding="utf-8"))
    assert entities <= {p["entity"] for p in proposals["proposals"]}
    assert report.decision == "release_with_changes"
    assert [p.kind for p in report.problems] == ["pdf_page_ocr"]
    out = tmp_path / "o" / "redacted" / "scan.pdf"
    # a second OCR of the rendered output: the pixels are gone, the rest is still legible
    again = _reocr(out)
    for secret in secrets:
        assert not _leaks(secret, again), secret
    assert KEPT in " ".join(again.split())
    # a second library: no text layer was added, nothing to extract, nothing in the bytes
    reader = pypdf.PdfReader(str(out))
    extracted = "".join(page.extract_text() or "" for page in reader.pages)
    raw = out.read_bytes()
    for secret in secrets:
        assert secret not in extracted and secret.encode() not in raw, secret
    with pymupdf.open(str(out)) as pdf:
        assert not pdf[0].get_text().strip() and pdf[0].get_images()
        images = _images_read_alone(pdf)
    assert images and KEPT in " ".join(" ".join(images).split())
    for secret in secrets:  # the pixels themselves, not a cover drawn over them
        assert not any(_leaks(secret, text) for text in images), secret
    # the redaction log names the OCR'd page, never a value
    log = (tmp_path / "o" / "redaction_log.csv").read_text(encoding="utf-8")
    assert "page 1 (OCR)" in log and not any(s in log for s in secrets)


@needs_tesseract
def test_reading_is_deterministic(tmp_path: Path) -> None:
    src = _image_pdf(tmp_path / "scan.pdf", _text_pixmap(LETTERS["ashworth"][0]))
    first, second = load_document(src), load_document(src)
    assert first.blocks == second.blocks
    assert first.ocr_pages == second.ocr_pages


def _cover_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redaction that draws black boxes but leaves the image pixels under them."""
    original = pymupdf.Page.apply_redactions
    monkeypatch.setattr(
        pymupdf.Page, "apply_redactions", lambda page, images=0, **kw: original(page, 0, **kw)
    )


def _boxes_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    """Boxes in a corner of the page, away from the words."""
    monkeypatch.setattr(OcrPage, "boxes", lambda self, start, end: [(0.0, 0.0, 5.0, 5.0)])


@needs_tesseract
@pytest.mark.parametrize(
    ("fault", "residual"),
    [(_boxes_miss, True), (_cover_only, False)],
    ids=["boxes-miss", "cover-only"],
)
def test_pixels_left_in_place_fail_closed(
    tmp_path: Path,
    analyzer: TextAnalyzer,
    monkeypatch: pytest.MonkeyPatch,
    fault: object,
    residual: bool,
) -> None:
    """Pixels that survive redaction are read back (on the rendered page, or in the image
    itself when only covered) and the result is withheld, never released."""
    src = _image_pdf(tmp_path / "scan.pdf", _text_pixmap(LETTERS["whitcombe"][0]))
    doc = load_document(src)
    proposals = propose(doc, analyzer)
    assert callable(fault)
    fault(monkeypatch)
    result = apply(doc, proposals, tmp_path / "out.pdf")
    assert (result.residual > 0) is residual  # a cover hides the pixels from a rendered read
    kinds = {(p.kind, p.forces) for p in result.problems}
    assert kinds == {("redaction_incomplete", "withhold")}


def _noise() -> pymupdf.Pixmap:
    rnd = random.Random(7)
    width, height = 300, 400
    data = bytes(rnd.choice((0, 255)) for _ in range(width * height))
    return pymupdf.Pixmap(pymupdf.csGRAY, width, height, data, False)


def _blank() -> pymupdf.Pixmap:
    pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 200, 300), False)
    pix.clear_with(255)
    return pix


def _sideways() -> pymupdf.Pixmap:
    """The text turned a quarter (a page scanned sideways and not turned back)."""
    return _text_pixmap(LETTERS["ashworth"][0], rotation=90)


@needs_tesseract
@pytest.mark.parametrize(
    ("make", "why"),
    [
        (_noise, "mean OCR confidence"),
        (lambda: _text_pixmap(LETTERS["whitcombe"][0] * 4, size=5, dpi=40), "confidence"),
        (_sideways, "confidence"),
        (_blank, "no text"),
        (lambda: _text_pixmap(LETTERS["whitcombe"][0]), None),  # control: a clean scan
    ],
    ids=["noise", "tiny-blurred", "sideways", "blank", "clean"],
)
def test_shaky_ocr_refers(
    tmp_path: Path, analyzer: TextAnalyzer, make: object, why: str | None
) -> None:
    assert callable(make)
    src = _image_pdf(tmp_path / "scan.pdf", make())
    report = check_document(src, "foi", analyzer=analyzer)
    if why is None:
        assert [p.kind for p in report.problems] == ["pdf_page_ocr"]
        assert report.decision == "release_with_changes"
        return
    problems = [(p.kind, p.forces) for p in report.problems]
    assert problems == [("pdf_page_ocr_low_confidence", "refer")]
    assert why in report.problems[0].message
    assert report.decision in {"refer", "withhold"}


def _fake_command(tmp_path: Path) -> str:
    cmd = tmp_path / "fake-tesseract"
    cmd.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    cmd.chmod(0o755)
    return str(cmd)


@pytest.mark.parametrize(
    ("command", "data", "named"),
    [
        (False, True, ["'no-such-tesseract' command"]),
        (True, False, ["'eng' language data"]),
        (False, False, ["'no-such-tesseract' command", "'eng' language data"]),
    ],
    ids=["no-command", "no-data", "neither"],
)
def test_without_tesseract_the_page_needs_a_person(
    tmp_path: Path,
    analyzer: TextAnalyzer,
    monkeypatch: pytest.MonkeyPatch,
    command: bool,
    data: bool,
    named: list[str],
) -> None:
    tessdata = tmp_path / "share" / "5" / "tessdata"
    tessdata.mkdir(parents=True)
    if data:
        (tessdata / "eng.traineddata").write_bytes(b"x")
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    monkeypatch.setattr(doc_ocr, "TESSDATA_GLOB", str(tmp_path / "share" / "*" / "tessdata"))
    monkeypatch.setattr(
        doc_ocr, "TESSERACT", _fake_command(tmp_path) if command else "no-such-tesseract"
    )
    with pytest.raises(OcrUnavailable) as caught:
        find_tesseract()
    for name in named:
        assert name in str(caught.value)
    src = _image_pdf(tmp_path / "scan.pdf", _text_pixmap(LETTERS["whitcombe"][0]))
    doc = load_document(src)
    pages = [b for b in doc.blocks if b.location.startswith("page")]
    assert [b.location for b in pages] == ["page 1"] and not pages[0].text.strip()
    assert [(p.kind, p.forces) for p in doc.problems] == [("pdf_page_needs_ocr", "refer")]
    assert all(name in doc.problems[0].message for name in named)
    report = check_document(src, "foi", analyzer=analyzer)
    assert report.decision == "refer"


def test_ocr_failure_keeps_refer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tesseract present but failing (here a command that exits 1): refer, no text."""
    if _tesseract_missing():
        pytest.skip("needs tesseract's language data")
    monkeypatch.setattr(doc_ocr, "TESSERACT", _fake_command(tmp_path))
    doc = load_document(_image_pdf(tmp_path / "scan.pdf", _blank()))
    assert [(p.kind, p.forces) for p in doc.problems] == [("pdf_page_needs_ocr", "refer")]
    assert "OCR failed (CalledProcessError)" in doc.problems[0].message
    assert not doc.ocr_pages


def _words(text: str, confidences: dict[str, float] | None = None) -> tuple[OcrWord, ...]:
    """Words of ``text`` (lines split on newlines), 10 points a character, 95 unless given."""
    out, pos = [], 0
    for n, line in enumerate(text.split("\n")):
        x = 0.0
        for word in line.split(" "):
            box = (x, 10.0 + 20 * n, x + 10 * len(word), 20.0 + 20 * n)
            conf = (confidences or {}).get(word, 95.0)
            out.append(OcrWord(word, pos, pos + len(word), box, (0, n), conf))
            pos += len(word) + 1
            x += 10 * len(word) + 10
    return tuple(out)


BOXES_TEXT = "Janet Whitcombe 943\nNext"


@pytest.mark.parametrize(
    ("start", "end", "boxes"),
    [
        (0, 15, [(-1.0, 9.0, 151.0, 21.0)]),  # two words of a line: one bar
        (8, 9, [(59.0, 9.0, 151.0, 21.0)]),  # part of a word: the whole word
        (6, 24, [(59.0, 9.0, 191.0, 21.0), (-1.0, 29.0, 41.0, 41.0)]),  # across lines
        (5, 6, []),  # only the space between words
    ],
)
def test_boxes(start: int, end: int, boxes: list[tuple[float, ...]]) -> None:
    page = OcrPage(1, BOXES_TEXT, _words(BOXES_TEXT))
    assert page.boxes(start, end) == boxes


DOUBT_TEXT = "Mrs Janet Whitcombe lives at 12 Park Road\nand is very well today thanks"


@pytest.mark.parametrize(
    ("text", "low", "why"),
    [
        (DOUBT_TEXT, {}, None),
        (DOUBT_TEXT, {"well": 50}, None),  # one shaky ordinary word in 14 is tolerated
        (DOUBT_TEXT, {"well": 50, "today": 50}, "2 of 14 words"),
        (DOUBT_TEXT, {"12": 50}, "digits or '@'"),  # the identifier itself
        (DOUBT_TEXT, {"at": 50}, "digits or '@'"),  # next to it on its line
        (DOUBT_TEXT, {"Road": 0}, None),  # two words away
        (DOUBT_TEXT.replace(" 12 ", " "), {"at": 50}, None),  # no identifier near
        (DOUBT_TEXT.replace("\nand", " 12\nand"), {"and": 50}, None),  # the next line's
        (DOUBT_TEXT, dict.fromkeys(DOUBT_TEXT.split(), 70.0), "mean OCR confidence 70"),
        ("", {}, "no text"),
    ],
)
def test_doubt(text: str, low: dict[str, float], why: str | None) -> None:
    doubt = OcrPage(1, text, _words(text, low) if text else ()).doubt()
    assert doubt is None if why is None else why in (doubt or "")

"""OCR of scanned PDF pages with Debian's tesseract: text, word boxes and word confidences.

A page without a text layer is read twice with the same tesseract language data, at ``OCR_DPI``:

1. PyMuPDF's Tesseract integration (``Page.get_textpage_ocr``) gives the text and each word's
   box in page coordinates (the ones redaction annotations take, page rotation included);
2. the ``tesseract`` command's TSV output on the rendered page gives each word's confidence.

Words are matched on their boxes; a word the two reads disagree on gets confidence 0. The
page text is built from the words (words joined by a space, lines by a newline, blocks by a
blank line), so every word knows its ``[start, end)`` in the text and a redaction of a span
becomes black boxes over the words it touches (:meth:`OcrPage.boxes`).

A page is trusted only when the reading is sound (:meth:`OcrPage.doubt`): some text, mean
confidence at least ``MIN_MEAN``, at most ``MAX_LOW_SHARE`` of the words below ``LOW_WORD``
and no low-confidence word holding or next to a digit or ``@`` (a misread identifier is one
that detection cannot find). Otherwise the page gets a ``pdf_page_ocr_low_confidence`` problem
(forces ``refer``); a trusted page gets a ``pdf_page_ocr`` note (forces nothing). Without
tesseract or its English data the page keeps the ``pdf_page_needs_ocr`` problem (forces
``refer``), naming what is missing. Settings are fixed (language, DPI, page segmentation,
one thread), so a file reads the same every time and proposals made on one read apply to the
next. After redaction, :func:`pixel_residual` reads every image object of the output on its
own (a black cover drawn over intact pixels would pass a rendered check). Problems never
quote the text.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import Any

from triage.documents.spans import residual_count
from triage.errors import ConfigError
from triage.models import Problem
from triage.vocab import Decision

logger = logging.getLogger(__name__)

#: the tesseract command (looked up on PATH)
TESSERACT = "tesseract"
#: where Debian's tesseract-ocr-eng puts its data (``$TESSDATA_PREFIX`` is tried first)
TESSDATA_GLOB = "/usr/share/tesseract-ocr/*/tessdata"
LANGUAGE = "eng"
#: rendering resolution for OCR (dots per inch)
OCR_DPI = 300
#: tesseract page segmentation mode 3: fully automatic, no orientation detection
PSM = "3"
#: seconds allowed for one page of the tesseract command
TIMEOUT = 120
#: a word below this confidence (0-100) is a low-confidence word
LOW_WORD = 60.0
#: the character-weighted mean confidence a trusted page reaches
MIN_MEAN = 80.0
#: the largest share of low-confidence words on a trusted page
MAX_LOW_SHARE = 0.1
#: points added around each word box before it is blanked
PAD = 1.0
_IDENTIFIER_LIKE = re.compile(r"[0-9@]")

Box = tuple[float, float, float, float]


class OcrUnavailable(ConfigError, RuntimeError):
    """Tesseract or its language data cannot be found (the message names what is missing)."""


@dataclass(frozen=True)
class Tesseract:
    """A usable tesseract: the command and the tessdata folder holding ``LANGUAGE``."""

    command: str
    tessdata: Path


@dataclass(frozen=True)
class OcrWord:
    """One recognised word: its characters in the page text, box and confidence."""

    text: str
    start: int
    end: int
    box: Box
    line: tuple[int, int]
    confidence: float


@dataclass(frozen=True)
class OcrPage:
    """The OCR reading of one page (``number`` counts from 1)."""

    number: int
    text: str
    words: tuple[OcrWord, ...]

    @property
    def mean_confidence(self) -> float:
        """Character-weighted mean word confidence (0 when no word was read)."""
        chars = sum(len(w.text) for w in self.words)
        if not chars:
            return 0.0
        return sum(w.confidence * len(w.text) for w in self.words) / chars

    def doubt(self) -> str | None:
        """Why the reading cannot be trusted, or None when it can (never quotes the text)."""
        if not self.words:
            return "OCR recognised no text on the scanned image"
        mean = self.mean_confidence
        if mean < MIN_MEAN:
            return f"mean OCR confidence {mean:.0f} is below {MIN_MEAN:.0f}"
        low = [w for w in self.words if w.confidence < LOW_WORD]
        if len(low) > MAX_LOW_SHARE * len(self.words):
            return f"{len(low)} of {len(self.words)} words have confidence below {LOW_WORD:.0f}"
        if any(
            self._near_identifier(n) for n, w in enumerate(self.words) if w.confidence < LOW_WORD
        ):
            return (
                "a low-confidence word holds or stands next to digits or '@' "
                "(possibly a misread identifier)"
            )
        return None

    def _near_identifier(self, n: int) -> bool:
        """Word ``n`` or a neighbour on its line holds a digit or ``@``."""
        line = self.words[n].line
        near = self.words[max(n - 1, 0) : n + 2]
        return any(w.line == line and _IDENTIFIER_LIKE.search(w.text) for w in near)

    def boxes(self, start: int, end: int) -> list[Box]:
        """Boxes to blank for the characters ``[start, end)``: every word they touch (whole
        words), consecutive words of a line merged into one bar, padded by ``PAD``."""
        bars: list[tuple[tuple[int, int], Box]] = []
        last = -2
        for n, w in enumerate(self.words):
            if w.end <= start or w.start >= end:
                continue
            if bars and last == n - 1 and bars[-1][0] == w.line:
                bars[-1] = (w.line, _union(bars[-1][1], w.box))
            else:
                bars.append((w.line, w.box))
            last = n
        return [(b[0] - PAD, b[1] - PAD, b[2] + PAD, b[3] + PAD) for _, b in bars]


def find_tesseract() -> Tesseract:
    """The tesseract command and tessdata folder holding ``LANGUAGE``.

    Raises
    ------
    OcrUnavailable
        Naming what is missing (the command, the language data, or both).
    """
    command = shutil.which(TESSERACT)
    candidates = []
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        candidates += [Path(prefix), Path(prefix) / "tessdata"]
    candidates += [Path(p) for p in sorted(glob(TESSDATA_GLOB), reverse=True)]
    tessdata = next((c for c in candidates if (c / f"{LANGUAGE}.traineddata").is_file()), None)
    missing = []
    if command is None:
        missing.append(f"the '{TESSERACT}' command")
    if tessdata is None:
        missing.append(f"its '{LANGUAGE}' language data (tessdata)")
    if command is None or tessdata is None:
        raise OcrUnavailable(
            " and ".join(missing) + " not found (Debian: apt-get install tesseract-ocr "
            f"tesseract-ocr-{LANGUAGE})"
        )
    return Tesseract(command, tessdata)


def _tsv_words(page: Any, tess: Tesseract) -> list[tuple[Box, str, float]]:
    """``(box in page coordinates, text, confidence)`` per word from the tesseract command."""
    import pymupdf

    pix = page.get_pixmap(dpi=OCR_DPI, colorspace=pymupdf.csGRAY, alpha=False)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    run = subprocess.run(
        [
            *(tess.command, "stdin", "stdout", "--tessdata-dir", str(tess.tessdata)),
            *("-l", LANGUAGE, "--dpi", str(OCR_DPI), "--psm", PSM, "tsv"),
        ],
        input=pix.tobytes("png"),
        capture_output=True,
        env=env,
        timeout=TIMEOUT,
        check=True,
    )
    rect = page.rect
    sx, sy = rect.width / pix.width, rect.height / pix.height
    derotate = page.derotation_matrix
    out = []
    rows = csv.DictReader(
        io.StringIO(run.stdout.decode("utf-8", "replace")), delimiter="\t", quoting=csv.QUOTE_NONE
    )
    for row in rows:
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        left, top = float(row["left"]), float(row["top"])
        right, bottom = left + float(row["width"]), top + float(row["height"])
        shown = pymupdf.Rect(left * sx, top * sy, right * sx, bottom * sy)
        box = (shown * derotate).normalize()
        out.append(((box.x0, box.y0, box.x1, box.y1), text, float(row["conf"])))
    return out


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _overlap(a: Box, b: Box) -> float:
    """Intersection area over the smaller box's area (0 when either is empty)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    if w <= 0 or h <= 0 or smaller <= 0:
        return 0.0
    return w * h / smaller


def ocr_page(page: Any, number: int, tess: Tesseract) -> OcrPage:
    """Read one PyMuPDF page by OCR (see the module docstring).

    Raises
    ------
    Exception
        Whatever MuPDF or the tesseract command raise when either read fails
        (``subprocess.CalledProcessError``, ``TimeoutExpired``, MuPDF errors).
    """
    textpage = page.get_textpage_ocr(
        language=LANGUAGE, dpi=OCR_DPI, full=True, tessdata=str(tess.tessdata)
    )
    raw = page.get_text("words", textpage=textpage, sort=False)
    scored = _tsv_words(page, tess)
    parts: list[str] = []
    words: list[OcrWord] = []
    pos = 0
    previous: tuple[int, int] | None = None
    for x0, y0, x1, y1, text, block_no, line_no, _ in raw:
        line = (int(block_no), int(line_no))
        if previous is not None:
            sep = " " if line == previous else ("\n" if line[0] == previous[0] else "\n\n")
            parts.append(sep)
            pos += len(sep)
        box: Box = (x0, y0, x1, y1)
        best = max(scored, key=lambda s: _overlap(box, s[0]), default=None)
        confidence = 0.0
        if best is not None and _overlap(box, best[0]) >= 0.5:
            if best[1] == text:
                confidence = best[2]
            box = _union(box, best[0])
        words.append(OcrWord(text, pos, pos + len(text), box, line, confidence))
        parts.append(text)
        pos += len(text)
        previous = line
    return OcrPage(number=number, text="".join(parts), words=tuple(words))


def read_scanned_page(page: Any, number: int, dataset: str) -> tuple[OcrPage | None, Problem]:
    """OCR a page without a text layer: the reading (None when OCR could not run) and the
    problem or note that records it (``pdf_page_needs_ocr``, ``pdf_page_ocr_low_confidence``
    or ``pdf_page_ocr``)."""
    try:
        tess = find_tesseract()
        reading = ocr_page(page, number, tess)
    except OcrUnavailable as exc:
        return None, Problem(
            kind="pdf_page_needs_ocr",
            message=f"page {number} has no text layer (scanned image) and cannot be read by OCR: "
            f"{exc}; it was not checked and needs a person",
            dataset=dataset,
            forces=Decision.REFER,
        )
    except Exception as exc:  # MuPDF, tesseract or I/O fault: the page stays unchecked
        logger.warning("OCR of page %d failed (%s)", number, type(exc).__name__)
        return None, Problem(
            kind="pdf_page_needs_ocr",
            message=f"page {number} has no text layer (scanned image) and OCR failed "
            f"({type(exc).__name__}); it was not checked and needs a person",
            dataset=dataset,
            forces=Decision.REFER,
        )
    doubt = reading.doubt()
    if doubt is not None:
        return reading, Problem(
            kind="pdf_page_ocr_low_confidence",
            message=f"page {number} is a scanned image read by OCR, but {doubt}: its text and "
            "redactions cannot be trusted without a person",
            dataset=dataset,
            forces=Decision.REFER,
        )
    return reading, Problem(
        kind="pdf_page_ocr",
        message=f"page {number} is a scanned image, read by OCR ({len(reading.words)} words, "
        f"mean confidence {reading.mean_confidence:.0f}); redactions blank its pixels",
        dataset=dataset,
        forces=Decision.RELEASE,
    )


def image_texts(pdf: Any, tess: Tesseract) -> list[str]:
    """The OCR text of every image object in ``pdf`` (an open PyMuPDF document), each read on
    its own at its own resolution: what the pixels hold, whatever is drawn over them."""
    import pymupdf

    texts = []
    for xref in range(1, pdf.xref_length()):
        if pdf.xref_get_key(xref, "Subtype") != ("name", "/Image"):
            continue
        pix = pymupdf.Pixmap(pdf, xref)
        if pix.colorspace is None or pix.colorspace.n not in (1, 3):
            pix = pymupdf.Pixmap(pymupdf.csRGB, pix)
        if pix.alpha:
            pix = pymupdf.Pixmap(pix, 0)
        with pymupdf.open() as single:
            scale = 72 / OCR_DPI
            page = single.new_page(width=pix.width * scale, height=pix.height * scale)
            page.insert_image(page.rect, pixmap=pix)
            textpage = page.get_textpage_ocr(
                language=LANGUAGE, dpi=OCR_DPI, full=True, tessdata=str(tess.tessdata)
            )
            texts.append(page.get_text("text", textpage=textpage))
    return texts


def pixel_residual(path: Path, values: list[str], dataset: str) -> list[Problem]:
    """Problems (forcing ``withhold``) when any of ``values``, redacted from scanned pages, can
    still be read in an image of the redacted file at ``path``, or when that cannot be checked.

    Rendering the page hides pixels under a black cover; reading each image object on its
    own does not, so a cover that did not remove the pixels is caught here.
    """
    import pymupdf

    values = sorted({" ".join(v.split()) for v in values if v.strip()})
    if not values:
        return []
    try:
        with pymupdf.open(str(path)) as pdf:
            flat = " ".join(" ".join(text.split()) for text in image_texts(pdf, find_tesseract()))
    except Exception as exc:  # not verified is not clean: fail closed
        return [
            Problem(
                kind="redaction_unverified",
                message=f"the image pixels of the redacted file could not be read back "
                f"({type(exc).__name__}): the redaction of scanned pages is not verified",
                dataset=dataset,
                forces=Decision.WITHHOLD,
            )
        ]
    left = residual_count([flat], values)  # as whole tokens, as every other residual check
    if not left:
        return []
    return [
        Problem(
            kind="redaction_incomplete",
            message=f"{left} redacted string(s) still readable in the images of the output",
            dataset=dataset,
            forces=Decision.WITHHOLD,
        )
    ]


__all__ = [
    "OcrPage",
    "OcrUnavailable",
    "OcrWord",
    "Tesseract",
    "find_tesseract",
    "image_texts",
    "ocr_page",
    "pixel_residual",
    "read_scanned_page",
]

"""What a text file is before it is parsed: its encoding, its delimiter and the title lines
above its header (the CSV dialect), from a sample of its first lines."""

from __future__ import annotations

import csv
import io
import logging
import re

log = logging.getLogger(__name__)

CSV_DELIMITERS = ",;\t|"
_SAMPLE_BYTES = 64 * 1024
_SNIFF_LINES = 50

_WESTERN = {
    "cp1252",
    "windows-1252",
    "latin_1",
    "latin-1",
    "iso8859_1",
    "iso-8859-1",
    "iso8859_15",
    "iso-8859-15",
    "cp1250",
    "cp850",
    "cp437",
    "mac_roman",
    "ascii",
}


def detect_encoding(raw: bytes) -> str:
    """Guess a text encoding: BOMs, then UTF-8, then charset-normalizer with cp1252 fallback.

    Raises ValueError when the bytes do not look like text.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in raw[:_SAMPLE_BYTES]:
        raise ValueError("NUL bytes")
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = raw[: 4 * _SAMPLE_BYTES]
    runs = [len(m) for m in re.findall(rb"[\x80-\xff]+", sample)]
    isolated = sum(1 for n in runs if n == 1)
    if runs and isolated / len(runs) >= 0.5:
        # Western single-byte text: accented letters and symbols sit alone between ASCII.
        try:
            raw.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"
    guess: str | None = None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        guess = best.encoding if best is not None else None
    except Exception:  # pragma: no cover - detector crash: fall back below
        log.debug("charset-normalizer failed", exc_info=True)
    if guess is not None and guess.lower() not in _WESTERN:
        try:
            raw.decode(guess)
            return guess
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def looks_binary(text: str) -> bool:
    sample = text[:_SAMPLE_BYTES]
    if "\x00" in sample:
        return True
    if not sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return controls > max(2, len(sample) // 100)


def sample_lines(text: str) -> str:
    sample = text[:_SAMPLE_BYTES]
    lines = sample.splitlines(keepends=True)
    if len(text) > _SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # drop a partial last line
    return "".join(lines[:_SNIFF_LINES])


def field_counts(sample: str, delimiter: str) -> list[int]:
    try:
        return [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r != []]
    except csv.Error:
        return []


def detect_delimiter(sample: str) -> str:
    """Pick the delimiter among ``, ; TAB |``: csv.Sniffer, checked for consistent field counts,
    else the candidate giving the most consistent multi-field rows; ``,`` by default."""
    scores: dict[str, tuple[float, int]] = {}
    for d in CSV_DELIMITERS:
        counts = field_counts(sample, d)
        if not counts or counts[0] < 2:
            continue
        same = sum(1 for c in counts if c == counts[0]) / len(counts)
        scores[d] = (same, counts[0])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in scores and scores[sniffed][0] >= 0.9:
        return sniffed
    if scores:
        return max(scores, key=lambda d: (scores[d], -CSV_DELIMITERS.index(d)))
    return ","


#: at most this many title lines above a header are skipped
MAX_PREAMBLE_LINES = 10
#: a file with more broken rows than this share is refused, not repaired
MAX_BROKEN_SHARE = 0.5


def preamble(sample: str) -> tuple[int, str]:
    """How many title lines stand above the header: the fewest leading lines of at most one
    non-empty field ("Disclosure log 2024", "Title,,,") to skip so that the first row has the
    field count most rows have (at least two fields); and the delimiter of the whole sample."""
    lines = sample.splitlines(keepends=True)
    delimiter = detect_delimiter(sample)
    for skip in range(min(MAX_PREAMBLE_LINES, max(len(lines) - 2, 0)) + 1):
        if skip and not _title_line(lines[skip - 1]):
            return 0, delimiter
        rest = "".join(lines[skip:])
        counts = field_counts(rest, delimiter if skip == 0 else detect_delimiter(rest))
        if len(counts) < 2 or counts[0] < 2:
            continue
        if sum(1 for c in counts if c == counts[0]) >= 0.8 * len(counts):
            return skip, delimiter
    return 0, delimiter


def _title_line(line: str) -> bool:
    """At most one non-empty field, whatever the delimiter."""
    return all(sum(1 for f in line.split(d) if f.strip()) <= 1 for d in CSV_DELIMITERS)

"""UK postcode (full unit postcode, Royal Mail format)."""

from __future__ import annotations

from typing import ClassVar

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity

# Outward code: A9, A99, A9A, AA9, AA99, AA9A with the per-position letter rules
# (1st: not Q V X; 2nd: not I J Z; 3rd in A9A: A-H J K P S T U W; 4th in AA9A: A B E H M N P R
# V W X Y), or the special GIR 0AA. Inward code: digit + two letters, not C I K M O V.
_OUTWARD = r"[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"


class PostcodeDetector(BaseDetector):
    """Full UK postcode such as ``SW1A 1AA``, ``M1 1AE``, ``GIR 0AA`` (space optional).

    Case-insensitive; the letter classes enforce the position rules, so product codes like
    ``AB12 3CD5`` or ``SKU-1234`` do not match.
    """

    id: ClassVar[str] = "postcode"
    entity: ClassVar[Entity] = Entity.UK_POSTCODE
    pattern: ClassVar[str] = rf"(?i:GIR ?0AA|{_OUTWARD} ?{_INWARD})"
    header_hints: ClassVar[tuple[str, ...]] = (
        r"post_?code",
        r"postal",
        r"zip",
        r"(^|_)pcd?s?(_|$)",
    )
    header_negatives: ClassVar[tuple[str, ...]] = (
        r"(?<!ac)count(?!r?y)",
        r"sector",
        r"district",
        r"area",
    )
    text_score: ClassVar[float] = 0.6
    context: ClassVar[tuple[str, ...]] = ("postcode", "post code", "postal code", "address")

    def normalise(self, value: str) -> str:
        """Upper case with single space before the inward code."""
        compact = value.replace(" ", "").upper()
        return f"{compact[:-3]} {compact[-3:]}"

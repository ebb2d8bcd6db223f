"""Telephone numbers, validated with ``phonenumbers`` (region GB)."""

from __future__ import annotations

import re
from functools import cache
from typing import ClassVar

import phonenumbers
from phonenumbers import PhoneMetadata

from triage.classifiers.detectors import BaseDetector, all_same_digit
from triage.vocab import Entity


@cache
def _gb_national() -> re.Pattern[str]:
    """Union of the valid national-number patterns of every +44 region in libphonenumber.

    ``phonenumbers.is_valid_number`` accepts a +44 number when it matches a number-type
    pattern of one of the regions sharing the code (GB, GG, IM, JE); matching them directly
    is ~50x faster than ``parse`` + ``is_valid_number`` and keeps ``match`` on thousands of
    values in milliseconds.
    """
    parts: list[str] = []
    for region in phonenumbers.region_codes_for_country_code(44):
        meta = PhoneMetadata.metadata_for_region(region)
        if meta is None:
            continue
        descs = (
            meta.fixed_line,
            meta.mobile,
            meta.toll_free,
            meta.premium_rate,
            meta.shared_cost,
            meta.personal_number,
            meta.voip,
            meta.pager,
            meta.uan,
            meta.voicemail,
        )
        parts += [d.national_number_pattern for d in descs if d and d.national_number_pattern]
    return re.compile("(?:" + "|".join(f"(?:{p})" for p in parts) + ")")


class PhoneDetector(BaseDetector):
    """UK numbers written nationally (``020 7946 0018``, ``(0161) 496 0000``) and
    international numbers with ``+`` or ``00`` (``+44 7700 900123``, ``+33 1 42 68 53 00``).

    Bare digit strings without a leading ``0`` or ``+`` are not phone numbers here (they are
    far more often counts or ids); numbers must be valid per libphonenumber.
    """

    id: ClassVar[str] = "phone"
    entity: ClassVar[Entity] = Entity.PHONE_NUMBER
    pattern: ClassVar[str] = r"(?:\+|00|\(0|0)[0-9][0-9 ()./-]{6,20}[0-9]"
    header_hints: ClassVar[tuple[str, ...]] = (
        r"phone",
        r"(^|_)tel(_|$|ephone)",
        r"mobile",
        r"(^|_)mob(_|$)",
        r"contact_?n(o|um)",
        r"fax",
        r"(^|_)cell_?(phone|no|num|number)",
    )
    header_negatives: ClassVar[tuple[str, ...]] = (
        r"(?<!ac)count(?!r?y)",
        r"total",
        r"calls",
        r"(^|_)n_",
    )
    text_score: ClassVar[float] = 0.7
    context: ClassVar[tuple[str, ...]] = ("phone", "telephone", "mobile", "tel", "call", "fax")

    def normalise(self, value: str) -> str:
        """Digits, with a leading ``+`` kept (``00`` becomes ``+``)."""
        digits = re.sub(r"[^0-9]", "", value)
        if value.startswith("+"):
            return "+" + digits
        if digits.startswith("00"):
            return "+" + digits[2:]
        return digits

    def validate(self, value: str) -> bool:
        """Valid GB national number, or valid international number."""
        if value.startswith("0"):
            return _gb_national().fullmatch(value[1:]) is not None
        try:
            number = phonenumbers.parse(value, "GB")
        except phonenumbers.NumberParseException:
            return False
        return bool(phonenumbers.is_valid_number(number))


class BarePhoneDetector(PhoneDetector):
    """Phone numbers written as bare digits under a phone header: a spreadsheet that stored
    ``01617486414`` as a number drops the leading 0, and other countries' national formats
    (``799097271``) carry none. 9 to 12 digits, not one digit repeated; the header decides."""

    id: ClassVar[str] = "phone_bare"
    pattern: ClassVar[str] = r"[1-9][0-9]{8,11}"
    requires_header: ClassVar[bool] = True

    def normalise(self, value: str) -> str:
        """The digits."""
        return re.sub(r"[^0-9]", "", value)

    def validate(self, value: str) -> bool:
        """9 to 12 digits, not all the same."""
        return 9 <= len(value) <= 12 and not all_same_digit(value)

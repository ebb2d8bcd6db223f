"""Masked samples: show a value's shape without the value itself."""

from __future__ import annotations


def mask_value(value: object, keep: int = 1) -> str:
    """Mask a value, keeping its first ``keep`` characters per word and its shape.

    Letters become ``*``, digits become ``#``; separators are kept so a reader sees the form.

    >>> mask_value("John Smith")
    'J*** S****'
    >>> mask_value("943 476 5919")
    '9## ### ####'
    >>> mask_value("")
    ''
    """
    text = str(value)
    out: list[str] = []
    kept = 0
    for ch in text:
        if ch.isspace() or not ch.isalnum():
            kept = 0
            out.append(ch)
        elif kept < keep:
            kept += 1
            out.append(ch)
        else:
            out.append("#" if ch.isdigit() else "*")
    return "".join(out)

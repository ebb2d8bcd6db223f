"""IPv4 and IPv6 addresses, validated with :mod:`ipaddress`."""

from __future__ import annotations

import ipaddress
from typing import ClassVar

from triage.classifiers.detectors import BaseDetector
from triage.vocab import Entity


class IpAddressDetector(BaseDetector):
    """``192.168.1.10``, ``2001:db8::1``; octets over 255 or leading zeros fail."""

    id: ClassVar[str] = "ip_address"
    entity: ClassVar[Entity] = Entity.IP_ADDRESS
    pattern: ClassVar[str] = (
        r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"
        r"|(?i:[0-9A-F]{0,4}(?::[0-9A-F]{0,4}){2,7})(?:\.[0-9]{1,3}){0,3}"
    )
    header_hints: ClassVar[tuple[str, ...]] = (r"(^|_)ip(_|$|v)", r"ip_?addr", r"host")
    header_negatives: ClassVar[tuple[str, ...]] = (r"(?<!ac)count(?!r?y)", r"total")
    text_score: ClassVar[float] = 0.8
    context: ClassVar[tuple[str, ...]] = ("ip", "ip address", "ipv4", "ipv6", "address")

    def validate(self, value: str) -> bool:
        """Parses as an IP address and (IPv6) has at least one hex digit."""
        if not any(c.isalnum() for c in value):
            return False
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return True

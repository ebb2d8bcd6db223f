"""FOI exemptions and the allow/deny lists of public officials and terms.

Allow-list: public officials acting in their public role (councillors, senior officers) are
not redacted (FOI practice discloses them), by name or alias, or when the name stands next to
an allow-listed role. Deny-list: terms always redacted with a given exemption.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from triage.errors import ConfigError


@dataclass(frozen=True)
class Exemption:
    """An FOI exemption and its EIR equivalent."""

    code: str
    title: str
    eir: str
    eir_title: str


EXEMPTIONS: dict[str, Exemption] = {
    "s.40(2)": Exemption("s.40(2)", "FOIA s.40(2) personal data", "reg 13", "EIR reg 13"),
    "s.24": Exemption("s.24", "FOIA s.24 national security", "reg 12(5)(a)", "EIR reg 12(5)(a)"),
    "s.31": Exemption("s.31", "FOIA s.31 law enforcement", "reg 12(5)(b)", "EIR reg 12(5)(b)"),
    "s.38": Exemption("s.38", "FOIA s.38 health and safety", "reg 12(5)(a)", "EIR reg 12(5)(a)"),
    "s.43": Exemption("s.43", "FOIA s.43 commercial interests", "reg 12(5)(e)", "EIR reg 12(5)(e)"),
}


#: titles stripped from a name before it is compared
TITLE = re.compile(
    r"^(?:(?:cllr|councillor|mr|mrs|ms|miss|mx|dr|prof|sir|dame|lord|lady|rev)\.?\s+)+",
    re.IGNORECASE,
)


@dataclass
class Officials:
    """Allow-list of public officials and deny-list of terms.

    Attributes
    ----------
    names
        Normalised names and aliases (lower case, titles stripped).
    roles
        Lower-case role phrases ("councillor", "director of place").
    deny
        ``(compiled regex, exemption, reason)``.
    """

    names: set[str] = field(default_factory=set)
    roles: list[str] = field(default_factory=list)
    deny: list[tuple[re.Pattern[str], str, str]] = field(default_factory=list)

    def allows(self, text: str, start: int, end: int) -> bool:
        """True when the PERSON span ``text[start:end]`` is an allow-listed official."""
        name = normalise_name(text[start:end])
        if name in self.names:
            return True
        surname = name.split()[-1] if name else ""
        if any(n.split()[-1] == surname and n.startswith(name) for n in self.names if n):
            return True
        before = text[max(0, start - 40) : start].lower()
        after = text[end : end + 60].lower()
        return any(
            before.rstrip().endswith(role)
            or re.match(rf"\s*,?\s*(?:the\s+)?{re.escape(role)}", after)
            for role in self.roles
        )


def normalise_name(name: str) -> str:
    """Lower case, titles ("Cllr", "Dr") and punctuation stripped, whitespace collapsed."""
    name = re.sub(r"[\u2019'`]s$", "", name.strip())
    name = TITLE.sub("", name)
    return " ".join(re.sub(r"[^\w\s-]", " ", name.lower()).split())


def load_officials(path: str | Path | None) -> Officials:
    """Read an allow/deny list from YAML.

    Format::

        officials:
          - name: Councillor Jane Morgan
            aliases: [Cllr Morgan]
            role: Cabinet Member for Community Safety
        roles: [Chief Executive, Director of Place]
        deny:
          - term: Project Nightjar
            exemption: s.43
            reason: unannounced procurement
          - pattern: "\\bOP-\\d{4}\\b"
            exemption: s.31
    """
    if path is None:
        return Officials()
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p.name}: cannot read allow-list ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{p.name}: allow-list must be a mapping")
    out = Officials()
    for entry in data.get("officials") or []:
        if not isinstance(entry, dict) or "name" not in entry:
            raise ConfigError(f"{p.name}: each official needs a name")
        for n in [entry["name"], *(entry.get("aliases") or [])]:
            out.names.add(normalise_name(str(n)))
    out.roles = [str(r).lower() for r in data.get("roles") or []]
    for entry in data.get("deny") or []:
        if not isinstance(entry, dict):
            raise ConfigError(f"{p.name}: each deny entry must be a mapping")
        exemption = str(entry.get("exemption", "s.40(2)"))
        if exemption not in EXEMPTIONS:
            raise ConfigError(f"{p.name}: unknown exemption {exemption!r}")
        if "term" in entry:
            rx = re.compile(rf"\b{re.escape(str(entry['term']))}\b", re.IGNORECASE)
        elif "pattern" in entry:
            try:
                rx = re.compile(str(entry["pattern"]))
            except re.error as exc:
                raise ConfigError(f"{p.name}: bad deny pattern ({exc})") from exc
        else:
            raise ConfigError(f"{p.name}: a deny entry needs term or pattern")
        out.deny.append((rx, exemption, str(entry.get("reason", "on the deny-list"))))
    return out


def exemption_title(code: str, environmental: bool = False) -> str:
    """``"FOIA s.31 law enforcement"`` or its EIR equivalent when ``environmental``."""
    ex = EXEMPTIONS[code]
    return ex.eir_title if environmental else ex.title

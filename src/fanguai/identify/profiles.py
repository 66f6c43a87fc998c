"""A typed STR profile as staff paste it: one locus a line, ``D8S1179 13/14`` (or ``13,14``,
``D8S1179: 13 14``, ``Penta D=10/12``). The DNA store checks loci and alleles itself."""

from __future__ import annotations

import re

from fanguai.errors import InvalidInput

MAX_LINES = 80
_LINE = re.compile(
    r"^(?P<locus>[A-Za-z][A-Za-z0-9 _.\-]*?)\s*[:=\t ]\s*"
    r"(?P<a>\d{1,2}(?:\.\d)?)(?:\s*[/,\s]\s*(?P<b>\d{1,2}(?:\.\d)?))?$"
)


def parse_profile_text(text: str) -> dict[str, str]:
    """``{locus: "a/b"}`` from pasted lines; ``InvalidInput`` (field ``profile``) names the line."""
    profile: dict[str, str] = {}
    lines = [line.strip() for line in (text or "").splitlines()]
    if len([line for line in lines if line]) > MAX_LINES:
        raise InvalidInput(f"more than {MAX_LINES} loci", field="profile")
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise InvalidInput(
                f"line {number}: expected 'LOCUS a/b', got {line!r}", field="profile"
            )
        locus = match["locus"].strip()
        if locus in profile:
            raise InvalidInput(f"line {number}: locus {locus} given twice", field="profile")
        profile[locus] = f"{match['a']}/{match['b'] or match['a']}"
    if not profile:
        raise InvalidInput("the profile is empty", field="profile")
    return profile

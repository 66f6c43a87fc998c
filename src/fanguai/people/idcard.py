"""Resident identity card numbers (GB 11643-1999): check digit, birth date and sex.

The 18th character is a check over the first 17 (ISO 7064 MOD 11-2; ``X`` stands for 10).
The birth date (characters 7–14) and sex (17th: odd male, even female) are read out so that
callers can cross-check them against what was entered, never to replace it silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from fanguai.errors import InvalidInput

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")


@dataclass(frozen=True)
class IdCard:
    """A valid resident ID number and what it encodes."""

    number: str
    region: str
    birth_date: date
    sex: str  # male | female


def check_digit(first17: str) -> str:
    """The check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def parse_id_card(value: str, *, today: date | None = None) -> IdCard:
    """Validate an 18-character ID number; ``InvalidInput`` says precisely what is wrong."""
    number = value.strip().upper().replace(" ", "")
    if not _SHAPE.match(number):
        raise InvalidInput("ID number must be 17 digits followed by a digit or X", field="id_card")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput("ID number encodes an impossible birth date", field="id_card") from None
    if born.year < 1900 or born > (today or date.today()):
        raise InvalidInput("ID number encodes a birth date outside 1900..today", field="id_card")
    if check_digit(number[:17]) != number[17]:
        raise InvalidInput("ID number check digit does not match (GB 11643)", field="id_card")
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return IdCard(number=number, region=number[:6], birth_date=born, sex=sex)

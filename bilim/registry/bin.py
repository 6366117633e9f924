"""IIN/BIN: the 12-digit individual and business identification numbers of Kazakhstan.

Both carry the same check digit (catalog.md: organizations use their BIN, "checksum as for the IIN"):
the weighted sum of the first 11 digits with weights 1..11, modulo 11; if that gives 10, the sum is
taken again with weights 3..11, 1, 2; if it gives 10 again the number is never issued.

A BIN starts with the year and month of registration (YYMM), then the type of entity (4 resident
legal entity, 5 non-resident, 6 individual entrepreneur in a joint venture), then an attribute
(0 head organization, 1 branch, 2 representative office, 3 peasant farm), then a serial number.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first11: str) -> int | None:
    """The control digit for the first 11 digits, or None when no valid number can end them."""
    if len(first11) != 11 or not first11.isdigit():
        raise ValueError("check_digit needs exactly 11 digits")
    digits = [int(c) for c in first11]
    c = sum(d * w for d, w in zip(digits, WEIGHTS_1, strict=True)) % 11
    if c == 10:
        c = sum(d * w for d, w in zip(digits, WEIGHTS_2, strict=True)) % 11
        if c == 10:
            return None
    return c


def is_valid(code: str) -> bool:
    """True if `code` is 12 digits whose last digit is the IIN/BIN control digit."""
    if not isinstance(code, str) or len(code) != 12 or not code.isdigit():
        return False
    return check_digit(code[:11]) == int(code[11])


def validate_bin(value: str) -> None:
    """Django validator: reject anything that is not a well-formed IIN/BIN."""
    if not is_valid(value):
        raise ValidationError(_("%(value)s is not a valid 12-digit IIN/BIN (wrong length or control digit)."),
                              params={"value": value}, code="invalid_bin")


def make_bin(yymm: str, serial: int, entity_type: int = 4, attribute: int = 0) -> str | None:
    """Compose a BIN from its parts; None when that serial cannot carry a valid control digit."""
    if len(yymm) != 4 or not yymm.isdigit() or not 0 <= serial <= 99999:
        raise ValueError("yymm must be 4 digits and serial 0..99999")
    first11 = f"{yymm}{entity_type}{attribute}{serial:05d}"
    c = check_digit(first11)
    return None if c is None else f"{first11}{c}"

"""IIN/BIN control digit (catalog.md: organizations use their BIN, checksum as for the IIN)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from bilim.registry.bin import check_digit, is_valid, make_bin, validate_bin


def test_check_digit_first_pass():
    # 1*1 + 2*2 + ... + 11*11 = 506 = 46*11 -> 0; weights 1..11 on digits 1..9,1,0 below
    assert check_digit("12345678910") == (sum(d * w for d, w in zip([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 0],
                                                                      range(1, 12), strict=True)) % 11)


def test_check_digit_second_pass_and_unissuable_numbers():
    # find prefixes whose first sum is 10; the second pass with weights 3..11,1,2 decides
    seen_second, seen_none = False, False
    for serial in range(0, 3000):
        first11 = f"0001400{serial:04d}"
        digits = [int(c) for c in first11]
        if sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11 != 10:
            continue
        second = sum(d * w for d, w in zip(digits, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2), strict=True)) % 11
        if second == 10:
            assert check_digit(first11) is None
            seen_none = True
        else:
            assert check_digit(first11) == second
            seen_second = True
    assert seen_second and seen_none


def test_make_bin_is_valid_and_single_digit_errors_are_caught():
    code = make_bin("1909", 12345)
    assert code is not None and len(code) == 12 and code.startswith("19094012345")
    assert is_valid(code)
    # a wrong control digit is always caught; a wrong digit elsewhere almost always (the second pass,
    # used when the first sum gives 10, can let a rare one through)
    assert all(not is_valid(code[:11] + d) for d in "0123456789" if d != code[11])
    changed = [code[:i] + d + code[i + 1:] for i in range(11) for d in "0123456789" if d != code[i]]
    assert sum(not is_valid(c) for c in changed) / len(changed) > 0.85


@pytest.mark.parametrize("bad", ["", "12345", "1234567890123", "12345678901a", None, 123456789012])
def test_malformed_values_are_invalid(bad):
    assert not is_valid(bad)


def test_validator():
    validate_bin(make_bin("1909", 12345))
    with pytest.raises(ValidationError):
        validate_bin(make_bin("1909", 12345)[:11] + "x")
    wrong = make_bin("1909", 12345)
    with pytest.raises(ValidationError):
        validate_bin(wrong[:11] + str((int(wrong[11]) + 1) % 10))

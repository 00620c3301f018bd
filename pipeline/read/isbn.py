"""ISBNs: the check digit checked, the number hyphenated as printed books print it.

Where the hyphens go depends on the registration group and the publisher's range, which only
the International ISBN Agency's range table knows: isbnlib carries a copy (no lookup is made).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PREFIX = re.compile(r"^\s*(?:urn:isbn:|isbn(?:-1[03])?\s*:?\s*)", re.IGNORECASE)
_NUMBER = re.compile(r"^[0-9][0-9 \-]*[0-9Xx]$")


@dataclass(frozen=True)
class ReadIsbn:
    digits: str = ""  # 10 or 13 characters, no hyphens: what urn:isbn: takes ("" if not an ISBN)
    printed: str = ""  # hyphenated where the range table places it, else the digits
    problem: str = ""  # the message when it is not an ISBN


def looks_like_isbn(text: str) -> bool:
    """An identifier meant as an ISBN: 'urn:isbn:...', 'ISBN ...', or 10 or 13 digits (with hyphens)."""
    if _PREFIX.match(text):
        return True
    digits = re.sub(r"[ \-]", "", text)
    return bool(_NUMBER.match(text.strip())) and (len(digits) == 10 or (len(digits) == 13 and digits[:3] in ("978", "979")))


def _check_digit(body: str) -> str:
    if len(body) == 9:
        rest = -sum((10 - i) * int(d) for i, d in enumerate(body)) % 11
        return "X" if rest == 10 else str(rest)
    return str(-sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10)


def read_isbn(text: str, key: str) -> ReadIsbn:
    """The ISBN in `text` (the value of `key`), checked."""
    number = _PREFIX.sub("", text).strip()
    digits = re.sub(r"[ \-]", "", number).upper()
    if not re.fullmatch(r"\d{9}[\dX]|\d{13}", digits):
        return ReadIsbn(problem=f"'{key}' {number} is not an ISBN: an ISBN has 13 digits (or 10, the last of "
                                "which may be X); copy it again from its record")
    expected = _check_digit(digits[:-1])
    if digits[-1] != expected:
        return ReadIsbn(problem=f"ISBN {number}: the check digit is wrong: with these first {len(digits) - 1} "
                                f"digits it would be {expected}, so a digit is mistyped; copy the ISBN again "
                                "from its record")
    import isbnlib  # only for a book that has an ISBN

    return ReadIsbn(digits, isbnlib.mask(digits) or digits)

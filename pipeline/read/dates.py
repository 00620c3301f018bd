"""Dates as editors write them -> ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD) for the metadata.

A year is the most common date there is, and archives write "17 July 1917" or "Oct. 1917":
all of these are right, so they are read, not refused. Only a date that reads two ways
(03/04/1917) is a warning, and then only its year, which is certain, is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# English names, written out (calendar's follow the locale): the full name and the usual abbreviations.
_NAMES = ("January February March April May June July August September October November December").split()
_MONTHS = {name.lower()[:cut]: i for i, name in enumerate(_NAMES, 1) for cut in (None, 3)} | {"sept": 9}
_MONTH = r"(?P<month>[A-Za-z]+)\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_FORMS = [re.compile(rx, re.IGNORECASE) for rx in (
    rf"{_YEAR}(?:-(?P<m>\d{{2}})(?:-(?P<d>\d{{2}}))?)?",  # ISO, as it has always been accepted
    rf"{_YEAR}/(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})",  # year first: never ambiguous
    rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}",  # July 17, 2006
    rf"{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}",  # 17 July 2006
    rf"{_MONTH},?\s+{_YEAR}",  # Oct. 1917
)]
_NUMERIC = re.compile(r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})")  # 03/04/1917
HOW = "write 1917, 1917-10, 1917-10-25, October 1917 or 25 October 1917"


@dataclass(frozen=True)
class ReadDate:
    iso: str = ""  # "" when the value is not a date
    problem: str = ""  # what follows "'date' " in the message: why it is not one, or why only its year is kept
    ambiguous: bool = False


def _iso(year: int, month: int = 0, day: int = 0) -> str:
    """ISO text, or "" if there is no such day (1917-02-29)."""
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        return ""
    return f"{year:04d}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")


def read_date(value: object) -> ReadDate:
    """A YAML value (text, an integer year, or a date object from an explicit !!timestamp)."""
    if isinstance(value, dt.date):  # dt.datetime too: the day is what a book's date means
        return ReadDate(value.strftime("%Y-%m-%d"))
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ReadDate(problem=f"is not a date ({HOW})")
    text = " ".join(str(value).split())
    for form in _FORMS:
        m = form.fullmatch(text)
        if not m:
            continue
        parts = m.groupdict()
        month = _MONTHS.get(parts["month"].lower(), -1) if "month" in parts else int(parts["m"] or 0)
        if month == -1:
            return ReadDate(problem=f"is not a date: '{text}' ('{parts['month']}' is not a month; {HOW})")
        iso = _iso(int(parts["year"]), month, int(parts.get("d") or parts.get("day") or 0))
        return ReadDate(iso) if iso else _not_real(text)
    m = _NUMERIC.fullmatch(text)
    if m:
        return _numeric(text, int(m["a"]), int(m["b"]), int(m["year"]))
    return ReadDate(problem=f"is not a date: '{text}' ({HOW})")


def _not_real(text: str) -> ReadDate:
    return ReadDate(problem=f"is not a real date: '{text}' ({HOW})")


def _numeric(text: str, a: int, b: int, year: int) -> ReadDate:
    """Day and month in either order: certain only when one of them cannot be a month."""
    day_first, month_first = _iso(year, b, a), _iso(year, a, b)
    if day_first and month_first and a != b:
        names = f"{a} {_NAMES[b - 1]} or {b} {_NAMES[a - 1]} {year}"
        return ReadDate(f"{year:04d}", f"{text} could be {names}; write {day_first} or {month_first} "
                                       f"(until then only the year {year} is kept)", ambiguous=True)
    iso = day_first or month_first
    return ReadDate(iso) if iso else _not_real(text)

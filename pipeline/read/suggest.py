"""'Did you mean' for a name the manuscript gets nearly right: a note label, an id, a chapter
file, an image, a reference, off by case or a letter or two."""

from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(wanted: str, known: Iterable[str], show: str = "'{}'") -> str:
    """'; did you mean 'x'?' (x formatted by `show`), or '' when no known name is that close.
    A name that differs only in case wins over one that differs in a letter."""
    names = sorted(set(known) - {wanted})
    folded = [n for n in names if n.casefold() == wanted.casefold()]
    close = folded or difflib.get_close_matches(wanted, names, n=1, cutoff=0.8)
    return f"; did you mean {show.format(close[0])}?" if close else ""

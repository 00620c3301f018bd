"""Two sequences of word keys aligned: the model's words of a chapter against the PDF's (for
pipeline.check.completeness, whose docstring says how). Linear: equal words advance both sides; after
a difference both sides resynchronise on the nearest run of ANCHOR equal words (a place where
the two sides part again within STRONG words costs WEAK more: a phrase quoted in a note and in
the text), and the words skipped on the way are matched again one by one (`_gap`): whole, in
pieces (a word broken at a line end), or several model words printed as one PDF word
(paragraphs run together)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

ANCHOR = 4  # equal words in a row that resynchronise the two sides after a difference
# A place where fewer words than this agree is a weak one: a phrase a note quotes from the text (or
# the text from a note) agrees for a few words and parts, where the right place goes on agreeing.
STRONG = 12
WEAK = 100  # what a weak place costs more, in PDF words skipped
FURNITURE = 8  # PDF words that may stand between two agreeing words (a folio and a running head)
SKIP_MODEL = 10  # what a model word skipped to resynchronise costs, in PDF words skipped
PIECES = 4  # a word in at most this many pieces in a row (a line-end hyphen, a call number)


@dataclass
class Match:
    token: list[int]  # per model word: the index of its (first) PDF word, -1 when not found
    joined: set[int]  # model words printed in one PDF word with the word before them
    used: set[int]  # PDF words taken


def _gap(model: list[str], pdf: list[str], m0: int, m1: int, p0: int, p1: int, out: Match) -> None:
    """Model words m0..m1 against PDF words p0..p1 (between two agreeing runs): each found in
    order, whole, in pieces (a word broken at a line end, across a page's notes if need be),
    or with the words after it in one PDF word; PDF words not taken stay for the notes."""
    if (m1 - m0) * (p1 - p0) > 400_000:  # no agreement over a long stretch: nothing to rescue
        return
    i, j = m0, p0
    while i < m1:
        w = model[i]
        for jj in range(j, p1):
            t = pdf[jj]
            if t == w:
                out.token[i], j = jj, jj + 1
                out.used.add(jj)
                i += 1
                break
            if t.startswith(w):  # the next model words printed in the same PDF word
                s, k = w, i
                while len(s) < len(t) and k + 1 < m1 and t.startswith(s + model[k + 1]):
                    k += 1
                    s += model[k]
                if s == t:
                    for n in range(i, k + 1):
                        out.token[n] = jj
                    out.joined.update(range(i + 1, k + 1))
                    out.used.add(jj)
                    i, j = k + 1, jj + 1
                    break
            if w.startswith(t):  # the word in pieces: the rest whole (after a page's notes and
                rest, pieces = w[len(t):], [jj]  # running head if need be), else in pieces in a row
                whole = next((kk for kk in range(jj + 1, p1) if pdf[kk] == rest), -1)
                if whole >= 0:
                    pieces.append(whole)
                    rest = ""
                for kk in range(jj + 1, p1):
                    if not rest or not rest.startswith(pdf[kk]):
                        break
                    pieces.append(kk)
                    rest = rest[len(pdf[kk]):]
                if not rest:
                    out.token[i], j = jj, pieces[-1] + 1
                    out.used.update(pieces)
                    i += 1
                    break
        else:
            i += 1  # not in the gap: missing


def _in_pieces(w: str, pdf: list[str], j: int) -> int:
    """The index after the PDF words from j on that spell w in at most PIECES pieces in a row (a
    word broken at a line end), or -1."""
    if not w.startswith(pdf[j]):
        return -1
    rest, k = w[len(pdf[j]):], j + 1
    while rest and k < len(pdf) and k - j <= PIECES and pdf[k] and rest.startswith(pdf[k]):
        rest, k = rest[len(pdf[k]):], k + 1
    return -1 if rest else k


def _here(model: list[str], pdf: list[str], i: int, j: int, out: Match) -> tuple[int, int] | None:
    """Model word i as PDF words j, j+1... in a row, or model words i, i+1... as PDF word j:
    (the next i, j), or None."""
    w, t = model[i], pdf[j]
    if w.startswith(t):
        k = _in_pieces(w, pdf, j)
        if k >= 0:
            out.token[i] = j
            out.used.update(range(j, k))
            return i + 1, k
    elif t.startswith(w):
        s, k = w, i + 1
        while len(s) < len(t) and k < len(model) and t.startswith(s + model[k]):
            s, k = s + model[k], k + 1
        if s == t:
            for n in range(i, k):
                out.token[n] = j
            out.joined.update(range(i + 1, k))
            out.used.add(j)
            return k, j + 1
    return None


def _agree(model: list[str], pdf: list[str], i: int, j: int) -> int:
    """How many model words from i on are printed from pdf[j] on (up to STRONG): in order, whole
    or in pieces (a word broken at a line end), past a few PDF words between them (a folio, a
    running head, a note's number) but not past a word that differs."""
    n = 0
    while n < STRONG and i + n < len(model) and j < len(pdf):
        w = model[i + n]
        k = next((k + 1 for k in range(j, min(len(pdf), j + FURNITURE + 1)) if pdf[k] == w), -1)
        if k < 0:
            k = _in_pieces(w, pdf, j)
        if k < 0:
            break
        n, j = n + 1, k
    return n


def align(model: list[str], pdf: list[str]) -> Match:
    out = Match([-1] * len(model), set(), set())
    index: dict[tuple[str, ...], list[int]] = {}
    for p in range(len(pdf) - ANCHOR + 1):
        index.setdefault(tuple(pdf[p:p + ANCHOR]), []).append(p)
    i = j = 0
    n, m = len(model), len(pdf)
    while i < n and j < m:
        if model[i] == pdf[j]:
            out.token[i] = j
            out.used.add(j)
            i, j = i + 1, j + 1
            continue
        if (step := _here(model, pdf, i, j, out)) is not None:  # broken at a line end, or run together
            i, j = step
            continue
        # The nearest place where both sides agree again. A model word skipped is a word called
        # missing, a PDF word skipped is usually a running head, a folio or a note: the first
        # costs SKIP_MODEL times more (a book's title in its notes must not look like its head).
        best: tuple[int, int] | None = None
        cost = 0
        di = 0
        while i + di + ANCHOR <= n and (best is None or di * SKIP_MODEL < cost):
            places = index.get(tuple(model[i + di:i + di + ANCHOR]))
            if places:
                p = bisect_left(places, j)
                if p < len(places):
                    here = di * SKIP_MODEL + places[p] - j
                    if best is None or here < cost:  # a candidate: how far it agrees decides
                        if _agree(model, pdf, i + di, places[p]) < STRONG:
                            here += WEAK
                        if best is None or here < cost:
                            best, cost = (di, places[p] - j), here
            di += 1
        if best is None:
            break
        _gap(model, pdf, i, i + best[0], j, j + best[1], out)
        i, j = i + best[0], j + best[1]
    _gap(model, pdf, i, n, j, m, out)
    return out


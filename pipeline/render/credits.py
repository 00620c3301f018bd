"""Who made a text, in words: "A, B and C", "Translated by D", as the title page, a chapter's
header, the contents and the imprint name them (plain text; the markup escapes it)."""

from __future__ import annotations

from typing import Sequence

from pipeline.model import BookMeta, Chapter, Contributor


def join_names(people: Sequence[str]) -> str:
    return " and ".join(people) if len(people) <= 2 else ", ".join(people[:-1]) + ", and " + people[-1]


def byline(ch: Chapter) -> str:
    return join_names(ch.meta.authors)


# How a title page (and a chapter's header) names each role but the authors'; MARC relator codes.
CREDITS = {"edt": "Edited by", "trl": "Translated by", "ill": "Illustrated by", "aui": "Introduction by",
           "aft": "Afterword by", "com": "Compiled by", "ann": "Annotated by", "pht": "Photographs by",
           "ctb": "With contributions by"}


def credits(contributors: Sequence[Contributor]) -> list[str]:
    """'Translated by A and B', one line a role other than the authors', roles in order of appearance."""
    roles = dict.fromkeys(c.role for c in contributors if c.role != "aut")
    return [f"{CREDITS.get(role, 'With')} {join_names([c.name for c in contributors if c.role == role])}"
            for role in roles]


def names(meta: BookMeta, role: str = "aut") -> str:
    return join_names([c.name for c in meta.contributors if c.role == role])

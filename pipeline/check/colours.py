"""The colour spaces a PDF page paints with: operators, shadings, images and forms, counted."""

from __future__ import annotations

import re
from typing import Any

import pikepdf

_DEVICE = ("/DeviceRGB", "/DeviceCMYK", "/DeviceGray")


def _space_name(space: Any, resources: Any) -> str:
    """'rgb', 'cmyk', 'grey' or another name for a colour space operand or object."""
    if isinstance(space, (str, pikepdf.Name)) and str(space) not in _DEVICE:
        named = resources.get("/ColorSpace", {}).get(str(space))
        if named is not None:
            return _space_name(named, resources)
    if isinstance(space, pikepdf.Array) and len(space):
        kind = str(space[0])
        if kind == "/ICCBased":
            n = space[1].get("/N", 0)
            return {1: "grey", 3: "rgb", 4: "cmyk"}.get(int(n), "icc")
        if kind == "/Indexed":
            return _space_name(space[1], resources)
        return kind.lstrip("/").lower()
    return {"/DeviceRGB": "rgb", "/DeviceCMYK": "cmyk", "/DeviceGray": "grey",
            "/RGB": "rgb", "/CMYK": "cmyk", "/G": "grey"}.get(str(space), str(space).lstrip("/").lower())


# Content streams are scanned as tokens, strings removed first (a string may hold "rg"):
# a full operator parser takes seconds on a book, this a fraction of one.
_STRINGS = re.compile(rb"\((?:\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>(?!>)")
_TOKEN = re.compile(rb"/[^\s/\[\]()<>{}%]+|[A-Za-z'\"*]+[0-9]?")
_OPERATOR_SPACE = {b"rg": "rgb", b"RG": "rgb", b"k": "cmyk", b"K": "cmyk", b"g": "grey", b"G": "grey"}


def page_colours(page: pikepdf.Page) -> dict[str, int]:
    """Colour spaces painted with on a page (operators, shadings and images), with counts."""
    used: dict[str, int] = {}

    def add(name: str) -> None:
        used[name] = used.get(name, 0) + 1

    def visit(data: bytes, resources: Any, depth: int = 0) -> None:
        fill = stroke = "grey"  # the PDF default colour space
        name = None  # the last name operand: what cs, CS, sh and Do act on
        for token in _TOKEN.findall(_STRINGS.sub(b" ", data)):
            if token.startswith(b"/"):
                name = token.decode("latin-1")
                continue
            if token in _OPERATOR_SPACE:
                add(_OPERATOR_SPACE[token])
            elif token == b"cs" and name:
                fill = _space_name(name, resources)
            elif token == b"CS" and name:
                stroke = _space_name(name, resources)
            elif token in (b"sc", b"scn"):
                add(fill)
            elif token in (b"SC", b"SCN"):
                add(stroke)
            elif token == b"sh" and name:
                shading = resources.get("/Shading", {}).get(name)
                if shading is not None:
                    add(_space_name(shading.get("/ColorSpace"), resources))
            elif token == b"Do" and name and depth < 8:
                xobject = resources.get("/XObject", {}).get(name)
                if xobject is None:
                    continue
                if xobject.get("/Subtype") == "/Image":
                    if not xobject.get("/ImageMask"):
                        add(_space_name(xobject.get("/ColorSpace", "/DeviceGray"), resources))
                elif xobject.get("/Subtype") == "/Form":
                    visit(xobject.read_bytes(), xobject.get("/Resources", resources), depth + 1)
        for _, pattern in resources.get("/Pattern", {}).items():
            shading = pattern.get("/Shading")
            if shading is not None:
                add(_space_name(shading.get("/ColorSpace"), resources))

    contents = page.obj.get("/Contents")
    if contents is not None:
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        visit(b"\n".join(stream.read_bytes() for stream in streams), page.obj.get("/Resources", {}))
    return used

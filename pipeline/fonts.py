"""The print edition's faces, as @font-face rules: the book face, EB Garamond 1.003 (four static
faces kept in styles/fonts/eb-garamond/), and the face for code, DejaVu Sans Mono 2.37
(styles/fonts/dejavu-sans-mono/).

The files are part of the repository (see each folder's README.md for their source and
SHA256SUMS): the PDF's bytes depend on the fonts' bytes, so no system font is used for the book.
"""

from __future__ import annotations

import functools
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "styles" / "fonts" / "eb-garamond"
# (file, weight, style): regular, italic, bold, bold italic. The bold faces draw every character
# that the regular and italic draw (tests/test_fonts_coverage.py).
FACES = (
    ("EBGaramond-Regular.ttf", "normal", "normal"),
    ("EBGaramond-Italic.ttf", "normal", "italic"),
    ("EBGaramond-Bold.ttf", "bold", "normal"),
    ("EBGaramond-BoldItalic.ttf", "bold", "italic"),
)
REGULAR = FACES[0][0]
# Code spans and code blocks (print.css names the family); one face, as Markdown cannot make code
# bold or italic.
CODE_DIR = FONT_DIR.parent / "dejavu-sans-mono"
CODE_FACE = "DejaVuSansMono.ttf"
CODE_FAMILY = "Book Mono"


def font_dir() -> Path:
    """Folder holding the four faces (in the pipeline's own tree, beside styles/)."""
    missing = [name for name, _, _ in FACES if not (FONT_DIR / name).is_file()]
    if missing:
        raise RuntimeError(f"the book face is missing: {', '.join(missing)} not found in {FONT_DIR} "
                           "(it is part of the pipeline's repository: check out styles/fonts/eb-garamond again)")
    return FONT_DIR


def code_dir() -> Path:
    if not (CODE_DIR / CODE_FACE).is_file():
        raise RuntimeError(f"the face for code is missing: {CODE_FACE} not found in {CODE_DIR} "
                           "(it is part of the pipeline's repository: check out styles/fonts/dejavu-sans-mono again)")
    return CODE_DIR


def font_dirs() -> list[Path]:
    """The folders of every face the print edition may use (what its layout may read)."""
    return [font_dir(), code_dir()]


def font_files() -> list[Path]:
    return [font_dir() / name for name, _, _ in FACES] + [code_dir() / CODE_FACE]


def _path(face: str) -> Path:
    return code_dir() / face if face == CODE_FACE else font_dir() / face


def font_face_css(family: str) -> str:
    folder = font_dir()
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{(folder / name).as_uri()}") format("truetype"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in FACES
    )


def code_face_css() -> str:
    """The face for code, declared as the regular and the bold (so that code in bold text is set
    in it, not in a face synthesised from it or in another family)."""
    src = (code_dir() / CODE_FACE).as_uri()
    return "\n".join(f'@font-face {{ font-family: "{CODE_FAMILY}"; src: url("{src}") format("truetype"); '
                     f"font-weight: {weight}; font-style: normal; }}" for weight in ("normal", "bold"))


# Characters drawn as nothing (breaks, spaces, soft hyphens, zero-width marks): no glyph needed.
DRAWN_AS_NOTHING = frozenset({0x0A, 0x09, 0x20, 0xA0, 0xAD, 0x200B, 0x2060, 0x202F})


def face_of(weight: object, style: object, family: object = ()) -> str:
    """The file of the face CSS font matching picks for a computed font-family, font-weight and
    font-style: the code face for code; else 600 and over is the bold (there is nothing between
    400 and 700), italic and oblique the italic."""
    if isinstance(family, (tuple, list)) and family and family[0] == CODE_FAMILY:
        return CODE_FACE
    bold = isinstance(weight, (int, float)) and weight >= 600 or weight == "bold"
    italic = style in ("italic", "oblique")
    return FACES[2 * bold + italic][0]


@functools.cache
def face_name(face: str) -> str:
    """How a face is named to an editor, its full name: 'EB Garamond Bold Italic'."""
    from fontTools.ttLib import TTFont

    with TTFont(_path(face)) as font:
        return str(font["name"].getDebugName(4))


@functools.cache
def face_charset(face: str) -> frozenset[int]:
    """Code points one face can draw."""
    from fontTools.ttLib import TTFont

    with TTFont(_path(face)) as font:
        return frozenset(font.getBestCmap())


@functools.cache
def charset() -> frozenset[int]:
    """Code points some face of the book can draw: a character outside it prints as an empty box."""
    return frozenset().union(*(face_charset(name) for name, _, _ in FACES))


@functools.cache
def code_charset() -> frozenset[int]:
    """Code points code can be drawn with: the code face's, then the book face's (print.css names
    it next, so a character the code face lacks is drawn by it)."""
    return face_charset(CODE_FACE) | charset()

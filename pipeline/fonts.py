"""The book face: EB Garamond from Debian's fonts-ebgaramond, as @font-face rules."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/opentype/ebgaramond")
# (file, weight, style): the 12-point optical size, the one drawn for text.
FACES = (
    ("EBGaramond12-Regular.otf", "normal", "normal"),
    ("EBGaramond12-Italic.otf", "normal", "italic"),
    ("EBGaramond12-Bold.otf", "bold", "normal"),
)
REGULAR = FACES[0][0]


def font_dir() -> Path:
    """Folder holding the EB Garamond 12 OTFs: Debian's path first, then fontconfig's answer."""
    if all((FONT_DIR / name).is_file() for name, _, _ in FACES):
        return FONT_DIR.resolve()
    candidates = [FONT_DIR]
    if fc_match := shutil.which("fc-match"):
        found = subprocess.run([fc_match, "-f", "%{file}", "EB Garamond 12:style=Regular"],
                               capture_output=True, text=True, check=False).stdout
        candidates.append(Path(found).parent)  # fc-match falls back to any font: checked below
    for folder in candidates:
        if all((folder / name).is_file() for name, _, _ in FACES):
            return folder.resolve()
    raise RuntimeError("EB Garamond (EBGaramond12-*.otf) is not installed: run 'make setup', "
                       "which installs the Debian package fonts-ebgaramond")


def font_files() -> list[Path]:
    return [font_dir() / name for name, _, _ in FACES]


def font_face_css(family: str) -> str:
    folder = font_dir()
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{(folder / name).as_uri()}") format("opentype"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in FACES
    )


# Characters drawn as nothing (breaks, spaces, soft hyphens, zero-width marks): no glyph needed.
DRAWN_AS_NOTHING = frozenset({0x0A, 0x09, 0x20, 0xA0, 0xAD, 0x200B, 0x2060, 0x202F})


@functools.cache
def charset() -> frozenset[int]:
    """Code points the book face can draw (roman and italic both)."""
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for name, _, _ in FACES[:2]:
        with TTFont(font_dir() / name) as font:
            points |= set(font.getBestCmap())
    return frozenset(points)

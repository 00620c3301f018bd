"""The book face: EB Garamond from Debian's fonts-ebgaramond, as @font-face rules."""

from __future__ import annotations

import subprocess
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/opentype/ebgaramond")
FAMILY = "Book Garamond"
# (file, weight, style): the 12-point optical size, the one meant for text.
FACES = (
    ("EBGaramond12-Regular.otf", "normal", "normal"),
    ("EBGaramond12-Italic.otf", "normal", "italic"),
    ("EBGaramond12-Bold.otf", "bold", "normal"),
)


class FontsMissing(RuntimeError):
    pass


def font_dir() -> Path:
    if (FONT_DIR / FACES[0][0]).is_file():
        return FONT_DIR
    try:  # another distribution may keep the same files elsewhere
        found = subprocess.run(["fc-match", "-f", "%{file}", "EB Garamond 12:style=Regular"],
                               capture_output=True, text=True, check=False).stdout
    except OSError:
        found = ""
    if found.endswith(FACES[0][0]):
        return Path(found).parent
    raise FontsMissing("EB Garamond is not installed: run 'make setup' (it installs the Debian package fonts-ebgaramond)")


def font_face_css() -> str:
    folder = font_dir()
    return "\n".join(
        f'@font-face {{ font-family: "{FAMILY}"; src: url("{(folder / name).as_uri()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in FACES
    )

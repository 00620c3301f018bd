"""Running one of poppler's command-line tools (pdftotext, pdftoppm) on a PDF held in memory."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path


def run_on_pdf(tool: str, pdf: bytes | Path, options: Sequence[str], after: Sequence[str] = ()) -> bytes | None:
    """`tool OPTIONS file.pdf AFTER`'s standard output, or None when the tool is not installed.
    The tools read only files, so bytes go to a temporary one first."""
    exe = shutil.which(tool)
    if exe is None:
        return None
    if isinstance(pdf, Path):
        return subprocess.run([exe, *options, str(pdf), *after], capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.pdf"
        path.write_bytes(pdf)
        return subprocess.run([exe, *options, str(path), *after], capture_output=True, check=True).stdout

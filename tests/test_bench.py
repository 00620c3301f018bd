"""The benchmark runs every step it promises and writes its figures (its timings are not tested: see `make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT

STEPS = {"epub", "pdf", "pandoc_epub", "markdown_only", "weasyprint_chapters", "weasyprint_whole", "pandoc_typst",
         "typst_pdf", "noop", "edit_epub", "edit_pdf"}


def test_bench_runs_every_step_in_rounds_for_a_tiny_book(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, "bench/run.py", "--sizes", "2000", "--rounds", "2", "-j", "1",
                             "--work", str(tmp_path / "work"), "-o", str(out)],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(out.read_text())
    assert row["words"] == 2000 and row["rounds"] == 2
    assert set(row["steps"]) == STEPS
    for name, step in row["steps"].items():
        for kind in ("wall_s", "cpu_s", "peak_mb"):
            assert len(step[kind]) == 2 and all(v > 0 for v in step[kind]), (name, kind, step[kind])
    assert row["pages"]["pdf"] > 5 and row["pages"]["weasyprint_chapters"] > 5 and row["pages"]["typst_pdf"] > 0
    # The peers did the work: pandoc's EPUB has a file a chapter, Typst's PDF is a PDF.
    work = tmp_path / "work" / "size-2000"
    assert (work / "typst.pdf").read_bytes().startswith(b"%PDF")
    with zipfile.ZipFile(work / "pandoc.epub") as epub:
        assert "EPUB/text/ch001.xhtml" in epub.namelist(), epub.namelist()
    assert "| pdf/weasyprint_chapters |" in result.stdout and "| epub/pandoc_epub |" in result.stdout

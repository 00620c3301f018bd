"""The benchmark runs and writes every figure it promises (its timings are not tested: see `make bench`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

KEYS = ("words", "pages", "epub_s", "pdf_s", "pandoc_epub_s", "markdown_only_s", "weasyprint_only_s",
        "noop_s", "edit_epub_s", "edit_pdf_s", "peak_rss_mb", "epub_peak_rss_mb")


def test_bench_writes_all_figures_for_a_tiny_book(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, "bench/run.py", "--sizes", "2000", "--runs", "1", "-j", "1",
                             "--work", str(tmp_path / "work"), "-o", str(out)],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())
    assert len(rows) == 1
    row = rows[0]
    assert set(KEYS) <= set(row)
    assert row["words"] == 2000 and row["pages"] > 5
    for key in KEYS:
        if key == "pandoc_epub_s" and shutil.which("pandoc") is None:
            assert row[key] is None and "pandoc is not installed" in result.stderr
            continue
        assert isinstance(row[key], (int, float)) and row[key] > 0, key
    assert "| words |" in result.stdout.replace("  ", " ") or "words" in result.stdout.splitlines()[1]

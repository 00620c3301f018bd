"""A new user's first hour (issue 13, sections 2 and 3): a book without book.yaml, one .md
file, `pipeline new`, a `check` that says the manuscript is clean, the installed `pipeline`
command with DIR defaulting to the current folder, and a guide that does not contradict itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "manuscript.md"
STYLES = ROOT / "styles"
# The console script that `make setup` installs ([project.scripts] in pyproject.toml).
PIPELINE = Path(sysconfig.get_path("scripts")) / "pipeline"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PIPELINE), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))


def _opf(epub: Path) -> str:
    with zipfile.ZipFile(epub) as z:
        return z.read("EPUB/content.opf").decode()


def _texts(epub: Path) -> dict[str, str]:
    with zipfile.ZipFile(epub) as z:
        return {n: z.read(n).decode() for n in z.namelist() if n.startswith("EPUB/text/")}


def _section(number: int) -> str:
    """One numbered section of the guide, up to the next, its lines joined."""
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(f"\n## {number}. ")
    end = re.compile(r"\n## \d+\. ").search(text, start + 1)  # examples hold `## ` headings of their own
    return " ".join(text[start:end.start() if end else None].split())  # as read, not as wrapped


# --- section 2: a folder of chapters without book.yaml, or one .md file, builds ---

def test_a_folder_without_book_yaml_takes_the_books_metadata_from_the_first_chapter(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tiny / "book.yaml").unlink()
    first = tiny / "first.md"  # the book's own keys may stand in the first chapter, as in pandoc's
    first.write_text(first.read_text().replace("lang: en-GB\n", 'lang: en-GB\npublisher: "Side Press"\ntrim: a5\n'))
    out = tmp_path / "out"
    assert main(["build", str(tiny), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [f"no book.yaml in {tiny}: the book's title and details come from the front "
                                f"matter of {first} (write a book.yaml to set them)"]  # one line, no warning
    opf = _opf(out / "the-first.epub")
    assert "<dc:title>The First</dc:title>" in opf and "<dc:publisher>Side Press</dc:publisher>" in opf
    assert "<dc:language>en-GB</dc:language>" in opf and "<dc:date>1993</dc:date>" in opf
    # every chapter's authors are the book's, as when book.yaml names no one
    assert ">Ann Author</dc:creator>" in opf and ">Bo Writer</dc:creator>" in opf
    assert {"EPUB/text/first.xhtml", "EPUB/text/second.xhtml"} <= set(_texts(out / "the-first.epub"))


def test_a_single_md_file_is_a_book_of_that_chapter_alone(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tiny / "second.md"
    second.write_text(second.read_text() + "\n![A red square](images/red.png)\n")
    (tiny / "images").mkdir()
    from PIL import Image

    Image.new("RGB", (8, 8), (255, 0, 0)).save(tiny / "images" / "red.png")
    out = tmp_path / "out"
    assert main(["build", str(second), "-o", str(out)]) == 0  # book.yaml and first.md beside it are not read
    err = capsys.readouterr().err
    assert err.splitlines() == [f"{second} alone: the book's title and details come from its front matter "
                                "(no book.yaml or other chapter beside it is read)"]
    opf = _opf(out / "the-second.epub")
    assert "<dc:title>The Second</dc:title>" in opf and "Ann Author" not in opf
    texts = _texts(out / "the-second.epub")
    assert "EPUB/text/second.xhtml" in texts and "EPUB/text/first.xhtml" not in texts
    assert not any("The First" in t for t in texts.values())
    with zipfile.ZipFile(out / "the-second.epub") as z:  # its images are named from its own folder
        assert any(n.startswith("EPUB/images/") and n.endswith(".png") and "cover" not in n for n in z.namelist())
    assert main(["check", str(second)]) == 0
    assert capsys.readouterr().out == "1 chapter, 29 words, 2 notes: no problems found\n"


def test_pipeline_new_makes_a_book_that_builds_without_an_error_or_a_warning(tmp_path: Path) -> None:
    made = _run("new", "my-book", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    book = tmp_path / "my-book"
    assert sorted(p.name for p in book.iterdir()) == ["01-beginning.md", "02-going-on.md", "book.yaml"]
    assert made.stdout.splitlines()[0] == "made my-book: book.yaml, 01-beginning.md, 02-going-on.md"
    yaml_lines = (book / "book.yaml").read_text().splitlines()
    assert 'title: "My Book"' in yaml_lines and sum(line.startswith("#") for line in yaml_lines) >= 8  # commented
    checked = _run("check", "my-book", cwd=tmp_path)
    assert (checked.returncode, checked.stderr) == (0, "")
    assert re.fullmatch(r"2 chapters, \d+ words, 1 note: no problems found\n", checked.stdout), checked.stdout
    built = _run("build", "my-book", "--strict", cwd=tmp_path)
    assert (built.returncode, built.stderr) == (0, "")
    assert (tmp_path / "build" / "my-book.epub").is_file() and (tmp_path / "build" / "my-book.pdf").is_file()
    kdp = _run("build", "my-book", "--strict", "--profile", "kdp", "-o", "kdp", cwd=tmp_path)
    assert kdp.returncode == 0 and "no problems found" in kdp.stderr and "warning" not in kdp.stderr, kdp.stderr


def test_pipeline_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "notes.txt").write_text("mine")
    refused = _run("new", "book", cwd=tmp_path)
    assert refused.returncode == 2 and "is a folder that is not empty; nothing was written" in refused.stderr
    assert [p.name for p in (tmp_path / "book").iterdir()] == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    assert _run("new", "empty", cwd=tmp_path).returncode == 0  # an empty folder is a new one


# --- section 3: check says a clean manuscript is clean ---

def test_check_on_a_clean_manuscript_says_so_in_one_line(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tiny)]) == 0
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("2 chapters, 89 words, 5 notes: no problems found\n", "")
    (tiny / "book.yaml").write_text((tiny / "book.yaml").read_text() + "auther: typo\n")
    assert main(["check", str(tiny)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "2 chapters, 89 words, 5 notes: 1 warning(s), no errors\n"
    assert "warning: unknown key 'auther'" in captured.err


# --- section 3: the installed command, and DIR left out ---

def test_the_installed_command_is_pipeline_and_python_m_pipeline_the_same(tmp_path: Path) -> None:
    installed = _run("--help", cwd=tmp_path)
    module = subprocess.run([sys.executable, "-m", "pipeline", "--help"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert installed.returncode == module.returncode == 0
    assert installed.stdout == module.stdout
    assert installed.stdout.startswith("usage: pipeline [-h] [--version] COMMAND ...")
    assert "python -m pipeline` is the same command" in installed.stdout
    for command in ("build", "check", "dump", "slug", "new", "serve", "preview", "site"):
        assert re.search(rf"^    {command}\s+\S", installed.stdout, re.MULTILINE), command  # each with its help
        assert f"  pipeline {command} " in installed.stdout, command  # and an example
    build_help = " ".join(_run("build", "--help", cwd=tmp_path).stdout.split())
    assert build_help.startswith("usage: pipeline build [-h] [-o OUT]") and "[DIR]" in build_help
    for option in ("-o OUT, --out OUT", "--strict", "-q, --quiet", "--only {epub,pdf}", "--profile NAME",
                   "-j N, --jobs N", "--no-cache", "default: the current folder"):
        assert option in build_help, option


def test_build_with_no_dir_builds_the_current_folder_into_build_and_then_from_the_cache(
        tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.build
    import pipeline.load

    monkeypatch.setenv("PIPELINE_CACHE", "1")  # the fixture's own cache folder, outside the book
    monkeypatch.chdir(tiny)
    (tiny / "book.yaml").unlink()  # and without book.yaml: every .md file directly in . is a chapter
    assert main(["build"]) == 0
    assert sorted(p.name for p in (tiny / "build").iterdir()) == ["the-first-preflight.json", "the-first.epub",
                                                                  "the-first.pdf"]
    assert sorted(p.name for p in tiny.iterdir()) == ["build", "first.md", "second.md"]  # no cache in the book
    # What lands in build/ (a page image of `pipeline site`, any file) is neither hashed nor a chapter.
    (tiny / "build" / "page-1.png").write_bytes(b"\x89PNG not really")
    (tiny / "build" / "notes.md").write_text("---\ntitle: Not a chapter\n---\nNo.\n")

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("built again: the cache missed")

    with monkeypatch.context() as m:
        m.setattr(pipeline.build, "_build", no_build)
        assert main(["build"]) == 0  # nothing changed: the outputs come from the cache
    parsed: list[str] = []
    real = pipeline.load._chapter
    monkeypatch.setattr(pipeline.load, "_chapter", lambda root, rc, *a: parsed.append(rc.rel) or real(root, rc, *a))
    (tiny / "second.md").write_text((tiny / "second.md").read_text().replace("Done", "Finished"))
    assert main(["build"]) == 0
    assert parsed == ["second.md"]  # first.md came from the cache: build/ is not one of its inputs
    assert "Not a chapter" not in "".join(_texts(tiny / "build" / "the-first.epub").values())


# --- section 3: the guide does not contradict itself, or the code ---

def test_the_guide_says_once_what_a_div_without_markdown_1_does(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second = tiny / "second.md"
    second.write_text(second.read_text() + '\n<div class="aside">\nKept *as typed*.\n\nStill there.\n</div>\n')
    assert main(["build", str(tiny), "-o", str(tmp_path / "out"), "--only", "epub"]) == 0
    chapter = _texts(tmp_path / "out" / "a-tiny-book.epub")["EPUB/text/second.xhtml"]
    assert "Kept *as typed*." in chapter and "Still there." in chapter  # kept, but not read as Markdown
    guide = GUIDE.read_text(encoding="utf-8")
    assert "without it is **lost**" not in guide
    for number in (5, 8):
        assert "not read as Markdown" in _section(number) and "kept" in _section(number), number


def test_the_guide_says_that_verse_and_epigraphs_have_their_own_look() -> None:
    for sheet in ("epub.css", "print.css"):
        css = (STYLES / sheet).read_text()
        assert re.search(r"^\.verse\b", css, re.MULTILINE) and re.search(r"^\.epigraph\b", css, re.MULTILINE), sheet
    text = _section(5)
    assert "no special look" not in text
    assert re.search(r"Styled classes: `headnote`.*`smallcaps`.*`verse`.*`epigraph`", text, re.DOTALL)


def test_the_guide_says_that_check_checks_the_cover_image(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tiny / "book.yaml").write_text((tiny / "book.yaml").read_text() + "cover-image: cover.png\n")
    assert main(["check", str(tiny)]) == 2
    assert "error: cover-image 'cover.png' not found" in capsys.readouterr().err
    assert "not by `check`" not in _section(2)
    assert "checked by `check` and by `build`" in _section(2)
    only_at_build = _section(7).split("**Preflight.**")[0]
    assert "cover-image" not in only_at_build.split("only show up")[1]

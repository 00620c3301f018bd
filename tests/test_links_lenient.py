"""Links, references and pasted web markup as editors write them (issue 13, section 2): each gets
a correct, specific outcome at its own line, one message per problem, and nothing executable
reaches an output.

Each case is a real build (or check) of the tiny book, whose second chapter is replaced by the
case's text: its body starts on line 4 of second.md.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from pipeline.cli import main
from pipeline.diagnostics import Collector, ManuscriptError, SourcePos

from test_hostile_markup import assert_outputs_safe, pdf_uris

SLUG = "a-tiny-book"


def second(book: Path, body: str) -> None:
    (book / "second.md").write_text(f'---\ntitle: "The Second"\n---\n{body}\n', encoding="utf-8")


def run(book: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main([*args[:1], str(book), *args[1:]])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    return code, err


def built(book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    code, err = run(book, capsys, "build", "-o", str(out), *extra)
    return code, err, out


def xhtml(out: Path, name: str = "second") -> str:
    with zipfile.ZipFile(out / f"{SLUG}.epub") as z:
        return z.read(f"EPUB/text/{name}.xhtml").decode("utf-8")


def image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), (200, 30, 30)).save(path)


# -- 1. links: a correct, specific outcome for each ------------------------------------------


def test_an_email_autolink_is_a_readable_mailto_link_in_both_outputs(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second(tiny, "Write to <someone@example.net> about it.")
    code, err, out = built(tiny, tmp_path, capsys)
    assert code == 0, err
    assert '<a href="mailto:someone@example.net">someone@example.net</a>' in xhtml(out)
    assert pdf_uris(out) == ["mailto:someone@example.net"]
    assert "someone@example.net" in "".join(page.extract_text() for page in pypdf.PdfReader(out / f"{SLUG}.pdf").pages)


def test_a_site_relative_link_is_a_warning_and_keeps_its_text(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second(tiny, "Some words.\n\nSee [the society's page](/about/us) for more.")
    code, err, out = built(tiny, tmp_path, capsys, "--only", "epub")
    assert code == 0, err
    assert re.search(r"second\.md:6:\d+: warning: link to '/about/us' is site-relative", err), err
    page = xhtml(out)
    assert "See the society's page for more." in page.replace("\u2019", "'") and "/about/us" not in page


def test_a_link_to_a_local_image_file_is_a_warning_and_keeps_its_text(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image(tiny / "images" / "map.png")
    second(tiny, "The [map](images/map.png) shows it.")
    code, err, out = built(tiny, tmp_path, capsys, "--only", "epub")
    assert code == 0, err
    assert re.search(r"second\.md:4:\d+: warning: link to 'images/map\.png': the book can link only to its "
                     r"chapters.*!\[map\]\(images/map\.png\)", err), err
    assert "no chapter file" not in err
    page = xhtml(out)
    assert "The map shows it." in page and "map.png" not in page


def test_a_reference_defined_in_another_chapter_serves_the_whole_book(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image(tiny / "images" / "pic.png")
    first = tiny / "first.md"
    first.write_text(first.read_text() + "\n[society]: https://example.org/society \"The Society\"\n"
                     "[pic]: images/pic.png\n")
    second(tiny, "Ask [the Society][society] or [Society] itself.\n\n![A picture][pic]")
    code, err, out = built(tiny, tmp_path, capsys, "--only", "epub")
    assert code == 0, err
    page = xhtml(out)
    assert '<a href="https://example.org/society" title="The Society">the Society</a>' in page
    assert '<a href="https://example.org/society" title="The Society">Society</a>' in page
    assert re.search(r'<img [^>]*src="[^"]*pic\.png"[^>]*alt="A picture"', page), page
    assert "[society]" not in page and "[pic]" not in page


def test_a_reference_defined_nowhere_is_a_warning_at_its_use(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second(tiny, "One paragraph.\n\nAsk [the Society][socety] and see ![the map][mapp] here.")
    code, err, out = built(tiny, tmp_path, capsys, "--only", "epub")
    assert code == 0, err
    assert re.search(r"second\.md:6:5: warning: reference \[socety\] is not defined", err), err
    assert re.search(r"second\.md:6:\d+: warning: reference \[mapp\] is not defined", err), err
    assert "[the Society][socety]" in xhtml(out)  # printed as written: the editor sees it too


def test_braces_that_are_no_attribute_list_keep_the_text_with_a_warning(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`{smith.1899}` after `[22-23]` was read as the class 1899, and 'smith' was lost."""
    second(tiny, "As argued [22-23]{smith.1899} before.")
    code, err, out = built(tiny, tmp_path, capsys, "--only", "epub")
    assert code == 0, err
    assert re.search(r"second\.md:4:\d+: warning: \[22-23\]\{smith\.1899\}: 'smith\.1899' is not an "
                     r"attribute .* kept as text", err), err
    page = xhtml(out)
    assert "[22\u201323]{smith.1899}" in page and 'class="1899"' not in page  # (typography's en dash)


def test_a_bare_word_in_an_attribute_list_after_markup_is_reported(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second(tiny, "As *argued*{smith.1899} before.")
    code, err, _ = built(tiny, tmp_path, capsys, "--only", "epub")
    assert code == 0, err
    assert re.search(r"second\.md:4:\d+: warning: <em smith\.1899=\.\.\.>: attribute dropped", err), err


# -- 2. one problem, one message, at its own line ---------------------------------------------


def test_a_note_called_several_times_reports_its_problems_once(
        tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second(tiny, "Call.[^r] Call.[^r] Call.[^r] Call.[^r]\n\n[^r]: A note with ![alt](nope.png) in it.")
    code, err = run(tiny, capsys, "check")
    assert code == 2
    assert err.count("image 'nope.png' not found") == 1, err


def test_errors_of_reference_links_stand_at_each_use(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second(tiny, "First [a bad link](nowhere.md) inline.\n\nThen [a bad one][bad] here.\n\n"
                 "And [again][bad] there.\n\n[bad]: nowhere.md")
    code, err = run(tiny, capsys, "check")
    assert code == 2
    lines = [line for line in err.splitlines() if "no chapter file of that name" in line]
    assert [line.split(": error")[0] for line in lines] == [
        f"{tiny}/second.md:4:18", f"{tiny}/second.md:6:6", f"{tiny}/second.md:8:5"], err


def test_the_collector_never_keeps_a_message_twice() -> None:
    diags = Collector()
    at = SourcePos("a.md", 3, 4)
    for _ in range(4):
        diags.error(at, "link to 'x.md': no chapter file of that name in the manuscript")
    diags.warning(at, "something else")
    diags.extend(list(diags.items))
    assert len(diags.items) == 2
    assert str(ManuscriptError(diags.items * 3)).count("no chapter file") == 1


# -- 3. did you mean ---------------------------------------------------------------------------


def test_a_note_label_off_by_a_letter_gets_a_suggestion(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second(tiny, "The syndics met.[^syndic]\n\n[^syndics]: Of the guild.")
    code, err = run(tiny, capsys, "check")
    assert code == 2
    assert "footnote [^syndic] has no definition; did you mean [^syndics]?" in err, err


def test_an_image_name_off_by_case_gets_a_suggestion(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image(tiny / "images" / "voyage.png")
    second(tiny, "![The voyage](images/Voyage.png)")
    code, err = run(tiny, capsys, "check")
    assert code == 2
    assert "image 'images/Voyage.png' not found; did you mean 'images/voyage.png'?" in err, err


@pytest.mark.parametrize(("url", "wanted"), [
    ("#First-A-Section", "did you mean '#first-a-section'?"),
    ("first.md#first-a-sectoin", "did you mean 'first.md#first-a-section'?"),
    ("First.md", "did you mean 'first.md'?"),
])
def test_a_link_off_by_case_or_a_letter_gets_a_suggestion(
        tiny: Path, capsys: pytest.CaptureFixture[str], url: str, wanted: str) -> None:
    second(tiny, f"See [the section]({url}).")
    code, err = run(tiny, capsys, "check")
    assert code == 2
    assert wanted in err, err


# -- 4. pasted web markup: removed with a warning at its line, never executable --------------

PASTED = """A paragraph from the web.

<script>document.write("injected")</script>

Text with <script>alert("inline")</script> a script inside.

<iframe src="https://example.com/frame">Frame text</iframe>

<p onclick="steal()">Click me.</p>

A <span onmouseover="steal()">hovered</span> word, a [bad link](javascript:alert(1)) and
a <a href="javascript:alert(2)">raw bad link</a>.

<div><img src="https://example.com/x.png" alt="A pasted picture" onerror="steal()"></div>

<style>body { display: none }</style>

<form action="https://example.com/"><input name="q"><button>Go</button></form>

After it all."""


def test_a_pasted_web_page_builds_with_a_list_of_what_was_removed(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second(tiny, PASTED)
    code, err, out = built(tiny, tmp_path, capsys)
    assert code == 0, err
    for line, what in [(6, "<script>"), (8, "<script>"), (10, "<iframe>"), (12, "onclick"), (14, "onmouseover"),
                       (14, "javascript:alert(1)"), (15, "javascript:alert(2)"), (17, "<img>"),
                       (19, "<style>"), (21, "<form>")]:
        assert re.search(rf"second\.md:{line}:\d+: warning: .*{re.escape(what)}.*removed", err), (line, what, err)
    page = xhtml(out)
    for kept in ("A paragraph from the web.", "Text with  a script inside.", "Click me.", "hovered",
                 "bad link", "raw bad link", "A pasted picture", "After it all."):
        assert kept in page, kept
    for gone in ("injected", "inline", "Frame text", "display: none", "Go<", "steal", "alert"):
        assert gone not in page, gone
    assert_outputs_safe(out)


def test_strict_makes_the_removals_errors(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second(tiny, PASTED)
    code, err, out = built(tiny, tmp_path, capsys, "--strict")
    assert code == 2
    assert re.search(r"second\.md:6:\d+: error: <script>.*removed", err), err
    assert not out.exists()


@pytest.mark.parametrize(("src", "message"), [
    ("data:image/png;base64,iVBORw0KGgo=", "image 'data:image/png;base64,iVBORw0KGgo=' is not a file"),
    ("javascript:alert(1)", "image 'javascript:alert(1)' is not a file"),
])
def test_an_image_that_cannot_be_included_is_a_warning_with_its_alt_text(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], src: str, message: str) -> None:
    second(tiny, f"A picture: ![The harbour at dusk]({src}) here.")
    code, err, out = built(tiny, tmp_path, capsys, "--only", "epub")
    assert code == 0, err
    assert re.search(rf"second\.md:4:\d+: warning: {re.escape(message)}.*alt text stands in", err), err
    page = xhtml(out)
    assert "The harbour at dusk" in page and "<img" not in page
    assert_outputs_safe(out)


def test_an_image_outside_the_folder_stays_an_error(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image(tiny.parent / "shared" / "logo.png")
    second(tiny, "![The logo](../shared/logo.png)")
    code, err = run(tiny, capsys, "check")
    assert code == 2
    assert re.search(r"second\.md:4:\d+: error: image '\.\./shared/logo\.png' lies outside the manuscript folder", err)

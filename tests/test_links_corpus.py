"""Links and images of the Markdown test suites in tests/corpus (pandoc's, MDTest's), which no
book can follow: a bare relative address that names nothing in the book is a web page's link
to its own site; kept as text with a warning, while a misspelt chapter link stays an error."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from test_links_lenient import built, run, second


def epub_text(out: Path, name: str = "second") -> str:
    (epub,) = out.glob("*.epub")
    with zipfile.ZipFile(epub) as z:
        return z.read(f"EPUB/text/{name}.xhtml").decode()


def test_a_bare_relative_link_to_nothing_in_the_book_keeps_its_text_with_a_warning(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    second(tiny, "See [the bar baz page](bar baz) and [the url][ref].\n\n[ref]: url")
    code, err, out = built(tiny, tmp_path, capsys, "--only", "epub")
    assert code == 0, err
    assert f"{tiny}/second.md:4:22: warning: link to 'bar baz': no chapter or file of that name" in err, err
    assert f"{tiny}/second.md:4:37: warning: link to 'url': no chapter or file of that name" in err, err
    text = epub_text(out)
    assert "See the bar baz page and the url." in text and "bar%20baz" not in text


@pytest.mark.parametrize(("address", "message"), [
    ("nowhere.md", "link to 'nowhere.md': no chapter file of that name in the manuscript"),
    ("frist", "link to 'frist': no chapter file of that name in the manuscript; did you mean 'first.md'?"),
    ("second", "link to 'second': no chapter file of that name in the manuscript; did you mean 'second.md'?"),
])
def test_a_link_meant_for_a_chapter_is_still_an_error(
        tiny: Path, capsys: pytest.CaptureFixture[str], address: str, message: str) -> None:
    second(tiny, f"See [it]({address}).")
    code, err = run(tiny, capsys, "check")
    assert code == 2 and f"second.md:4:8: error: {message}" in err, err

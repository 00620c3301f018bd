"""The typographic EPUB cover: size, content, reproducibility and confinement."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from pipeline.render.cover import ebook as cover
from pipeline import fonts
from pipeline.fetcher import LocalFetcher
from pipeline.render.cover.ebook import break_title, render_cover_png

ROOT = Path(__file__).resolve().parents[1]
STYLES = ROOT / "styles"
TITLE = "The Darker the Night, the Brighter the Star"
SUBTITLE = "An Anthology of Stories"
AUTHORS = ("Ada Rivers", "M. J. Okafor", "Lena Halvorsen")
PUBLISHER = "Lanternfish Press"
RED = (255, 0, 0)


def _render(styles: Path = STYLES) -> bytes:
    return render_cover_png(TITLE, SUBTITLE, AUTHORS, PUBLISHER, styles)


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _count_red(image: Image.Image) -> int:
    """Pixels that are clearly the test image's pure red (nothing red is in the design)."""
    r, g, b = image.convert("RGB").split()
    mask = ImageChops.logical_and(
        r.point(lambda v: 255 if v > 200 else 0).convert("1"),
        ImageChops.logical_and(g.point(lambda v: 255 if v < 60 else 0).convert("1"),
                               b.point(lambda v: 255 if v < 60 else 0).convert("1")))
    return mask.histogram()[255]


def _light_fraction(image: Image.Image) -> float:
    """Share of pixels as light as the cream and gold type (the ground is near black)."""
    light = sum(image.convert("L").histogram()[150:])
    return light / (image.width * image.height)


@pytest.fixture(scope="module")
def png() -> bytes:
    return _render()


def test_cover_is_a_1600_by_2560_png(png: bytes) -> None:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = _image(png)
    assert image.format == "PNG"
    assert image.size == (1600, 2560)
    assert image.mode == "RGB"


def test_png_carries_no_metadata_chunks(png: bytes) -> None:
    assert b"tIME" not in png and b"tEXt" not in png and b"iTXt" not in png


def test_title_is_drawn_in_light_type_on_the_dark_ground(png: bytes) -> None:
    image = _image(png)
    ground = image.getpixel((20, 1280))  # left margin, outside the frame
    assert max(ground) < 60, f"expected a dark ground, got {ground}"
    # The title band (below the star, above the subtitle) must hold plenty of type.
    fraction = _light_fraction(image.crop((180, 820, 1420, 1700)))
    assert 0.04 < fraction < 0.5, fraction
    # And the whole cover is neither blank nor flooded.
    whole = _light_fraction(image)
    assert 0.02 < whole < 0.3, whole


def test_same_input_gives_identical_bytes_in_process(png: bytes) -> None:
    assert _render() == png


def test_same_input_gives_identical_bytes_in_another_process(png: bytes) -> None:
    code = (
        "import hashlib, sys\nfrom pathlib import Path\n"
        "from pipeline.render.cover.ebook import render_cover_png\n"
        f"png = render_cover_png({TITLE!r}, {SUBTITLE!r}, {list(AUTHORS)!r}, {PUBLISHER!r}, "
        f"Path({str(STYLES)!r}))\n"
        "sys.stdout.write(hashlib.sha256(png).hexdigest())\n")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONWARNINGS": "error"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    assert result.stdout == hashlib.sha256(png).hexdigest()


def test_markup_in_metadata_is_escaped_and_optional_parts_may_be_missing() -> None:
    image = _image(render_cover_png('<b>Tom</b> & "Jerry"', None, [], None, STYLES))
    assert image.size == (1600, 2560)


@pytest.fixture
def red_png(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "red.png"
    Image.new("RGB", (8, 8), RED).save(path)
    return path


@pytest.fixture
def red_server(http_server: tuple[str, list[str]]) -> tuple[str, list[str]]:
    base, requests = http_server
    return f"{base}/red.png", requests


def _styles_with(tmp_path: Path, extra_css: str) -> Path:
    styles = tmp_path / "styles"
    styles.mkdir(exist_ok=True)
    css = (STYLES / "cover.css").read_text(encoding="utf-8")
    (styles / "cover.css").write_text(css + "\n" + extra_css, encoding="utf-8")
    return styles


def test_control_an_image_inside_the_styles_folder_is_used(tmp_path: Path, red_png: Path) -> None:
    # Proves the refusal tests below can fail: an allowed red image does show up.
    styles = _styles_with(tmp_path, ".frame { background: url(red.png); }")
    shutil.copy(red_png, styles / "red.png")
    assert _count_red(_image(_render(styles))) > 100_000


def test_files_outside_the_allowed_folders_are_not_read(
        tmp_path: Path, red_png: Path, caplog: pytest.LogCaptureFixture) -> None:
    styles = _styles_with(tmp_path, (
        f'.frame {{ background: url("{red_png.as_uri()}"); }}\n'
        '.ornament { background: url("../outside/red.png"); }\n'
        'body { background-image: url("file:///etc/passwd"); }\n'))
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        image = _image(_render(styles))
    assert _count_red(image) == 0
    assert "refusing to fetch" in caplog.text
    assert "/etc/passwd" in caplog.text


def test_nothing_is_fetched_over_the_network(
        tmp_path: Path, red_server: tuple[str, list[str]]) -> None:
    url, requests = red_server
    styles = _styles_with(tmp_path, f'.frame {{ background: url("{url}"); }}')
    image = _image(_render(styles))
    assert requests == []
    assert _count_red(image) == 0


def test_fetcher_refuses_escapes_and_serves_only_allowed_files(tmp_path: Path) -> None:
    allowed = tmp_path / "styles"
    allowed.mkdir()
    (allowed / "cover.css").write_text("body {}", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    (allowed / "link.txt").symlink_to(secret)
    fetcher = LocalFetcher([allowed])

    response = fetcher.fetch((allowed / "cover.css").as_uri())
    assert response.read() == b"body {}"
    assert response.content_type == "text/css"
    for url in (secret.as_uri(), allowed.as_uri() + "/../secret.txt",
                (allowed / "link.txt").as_uri(), "file://example.com/etc/passwd",
                "http://127.0.0.1:9/x.png", "https://example.com/x.css",
                "data:text/css,body{}", allowed.as_uri()):
        with pytest.raises(ValueError, match="refusing"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 8


def test_missing_fonts_name_the_files_and_their_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "FONT_DIR", tmp_path)
    with pytest.raises(RuntimeError, match=r"book face is missing: EBGaramond-Regular\.ttf.*styles/fonts/eb-garamond"):
        _render()


@pytest.mark.parametrize("title, expected", [
    (TITLE, ["The Darker", "the Night,", "the Brighter", "the Star"]),
    ("The Strange Case of Dr Jekyll and Mr Hyde", ["The Strange", "Case of Dr Jekyll", "and Mr Hyde"]),
    ("Emma", ["Emma"]),
])
def test_title_breaks_are_balanced_and_never_strand_a_short_word(
        title: str, expected: list[str]) -> None:
    advance = cover._advance_em(fonts.font_dir() / fonts.REGULAR)
    size, lines = break_title(title, advance)
    assert lines == expected
    assert all(advance(line) <= cover.MEASURES[size] for line in lines)


def test_very_long_titles_get_smaller_type_and_still_fit() -> None:
    advance = cover._advance_em(fonts.font_dir() / fonts.REGULAR)
    title = " ".join(["Travelling Across the Wide World of Ours"] * 6)
    size, lines = break_title(title, advance)
    assert size == len(cover.MEASURES) - 1
    assert " ".join(lines) == title
    assert all(advance(line) <= cover.MEASURES[size] for line in lines)


def test_cover_drawn_by_a_job_while_chapters_are_read_is_the_same(png: bytes) -> None:
    from pipeline.build.cover_job import CoverJob

    args = (TITLE, SUBTITLE, list(AUTHORS), PUBLISHER)
    assert CoverJob(args, STYLES).take(args) == png
    assert CoverJob(args, STYLES).take((TITLE, None, list(AUTHORS), PUBLISHER)) is None  # drawn for other words


def test_a_build_stopped_by_manuscript_errors_leaves_no_cover_worker(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    from pipeline.build import cover_job
    from pipeline.build import BuildPlan, build
    from pipeline.diagnostics import ManuscriptError

    book = tmp_path / "book"
    shutil.copytree(ROOT / "tests" / "fixtures" / "tiny", book)
    first = sorted(book.glob("*.md"))[0]
    first.write_text(first.read_text() + "\nA call to a note never written.[^nowhere]\n")
    started: list[cover_job.CoverJob] = []
    real = cover_job.CoverJob
    monkeypatch.setattr(cover_job, "CoverJob", lambda *args: started.append(real(*args)) or started[-1])
    with pytest.raises(ManuscriptError):
        build(BuildPlan(book, tmp_path / "out"))
    assert len(started) == 1, "the cover was started while the chapters were read"
    assert multiprocessing.active_children() == []
    assert not (tmp_path / "out").exists()

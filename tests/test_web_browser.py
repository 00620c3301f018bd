"""The book's page in a real browser (Debian's headless Chromium through Playwright): downloads,
paging through the print preview, the live preview following edits and errors, the static site
from file://, and the page without JavaScript or on a phone-sized screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from web_fixtures import Served, browser, live_tiny, served_tiny  # noqa: F401

from pipeline.web.site import write_site

SLUG = "a-tiny-book"
LIVE_TIMEOUT_MS = 30_000  # a failure bound, not a speed claim: builds take ~1-3 s (see make bench)


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    errors: list[str] = []
    p = context.new_page()
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield p
    context.close()
    assert errors == []  # no script errors, no CSP violations, no failed loads reported


def where(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#preview .where").inner_text()


def visible_pages(page) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(x) for x in page.locator(".spread.current .page[data-page]").evaluate_all(
        "els => els.map(e => e.dataset.page)")]


def images_loaded(page, selector: str) -> list[int]:  # type: ignore[no-untyped-def]
    page.wait_for_function("sel => [...document.querySelectorAll(sel)].every(i => i.complete)", arg=selector)
    return page.locator(selector).evaluate_all("els => els.map(e => e.naturalWidth)")


def test_downloads_are_the_built_files(served_tiny: Served, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.goto(served_tiny.url)
    for kind in ("epub", "pdf"):
        with page.expect_download() as info:
            page.click(f"a.download[data-kind={kind}]")
        download = info.value
        assert download.suggested_filename == f"{SLUG}.{kind}"
        assert Path(download.path()).read_bytes() == (served_tiny.out / f"{SLUG}.{kind}").read_bytes()


def test_paging_through_the_preview(served_tiny: Served, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    pages = served_tiny.state.current().book.pages
    page.goto(served_tiny.url)
    assert where(page) == f"Page 1 of {pages}" and visible_pages(page) == [1]
    assert page.locator(".spread.current .page.blank").count() == 1  # page 1 alone, on the right
    assert page.locator("#preview .prev").is_disabled()
    page.click("#preview .next")
    assert where(page) == f"Pages 2–3 of {pages}" and visible_pages(page) == [2, 3]
    assert images_loaded(page, ".spread.current img") == [880, 880]
    box2, box3 = (page.locator(f"#page-{n}").bounding_box() for n in (2, 3))
    assert box2["x"] + box2["width"] <= box3["x"] + 1 and abs(box2["y"] - box3["y"]) < 1  # facing pages
    page.keyboard.press("ArrowRight")
    assert visible_pages(page) == [4, 5]
    page.keyboard.press("ArrowLeft")
    assert visible_pages(page) == [2, 3]
    page.fill("#preview .jump input", "7")
    page.press("#preview .jump input", "Enter")
    assert visible_pages(page) == [6, 7]
    chapter = served_tiny.state.current().book.outline[-1]
    page.select_option("#preview select.chapter", str(chapter.page))
    assert chapter.page in visible_pages(page)
    page.click(f"#preview .jump input")
    page.fill("#preview .jump input", str(pages))
    page.press("#preview .jump input", "Enter")
    assert pages in visible_pages(page) and page.locator("#preview .next").is_disabled()
    # the contents jump to their chapter's page
    first = served_tiny.state.current().book.outline[0]
    page.click(f".contents a[data-page='{first.page}']")
    assert first.page in visible_pages(page)


def test_zoomed_single_page(served_tiny: Served, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.goto(served_tiny.url + "#page-3")
    assert visible_pages(page) == [2, 3]
    page.click("#page-3")
    dialog = page.locator("dialog.zoom")
    assert dialog.is_visible() and dialog.locator(".zoom-where").inner_text().startswith("Page 3 of")
    assert images_loaded(page, "dialog.zoom .zoom-body img") == [1600]
    assert dialog.locator(".zoom-pdf").get_attribute("href") == f"view/{SLUG}.pdf#page=3"
    page.keyboard.press("ArrowRight")
    assert dialog.locator(".zoom-where").inner_text().startswith("Page 4 of")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert visible_pages(page) == [4, 5]  # the spread follows the page last zoomed
    response = page.request.get(served_tiny.url + page.locator(".open-pdf").get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"


def test_page_works_without_javascript(served_tiny: Served, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(served_tiny.url)
        assert page.locator("#preview .toolbar").is_hidden()
        pages = served_tiny.state.current().book.pages
        assert page.locator(".spread:visible").count() == pages // 2 + 1  # every spread listed
        with page.expect_download() as info:
            page.click("a.download[data-kind=epub]")
        assert Path(info.value.path()).read_bytes() == (served_tiny.out / f"{SLUG}.epub").read_bytes()
    finally:
        context.close()


def test_phone_layout(served_tiny: Served, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(served_tiny.url)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390  # nothing runs off the side
        for kind in ("epub", "pdf"):
            box = page.locator(f"a.download[data-kind={kind}]").bounding_box()
            assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390  # big enough to tap
        page.locator("#preview").scroll_into_view_if_needed()
        page.tap("#preview .next")
        assert visible_pages(page) == [2, 3]
        box2, box3 = (page.locator(f"#page-{n}").bounding_box() for n in (2, 3))
        assert box3["x"] + box3["width"] <= 390 and box2["width"] > 150
    finally:
        context.close()


def test_live_preview_follows_edits_and_errors(live_tiny: Served, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.goto(live_tiny.url)
    first = next(e for e in live_tiny.state.current().book.outline if e.title == "The First")
    spread = [first.page - 1, first.page] if first.page % 2 else [first.page, first.page + 1]
    page.fill("#preview .jump input", str(first.page))
    page.press("#preview .jump input", "Enter")
    assert visible_pages(page) == spread
    old_build = page.evaluate("document.body.dataset.build")
    old_src = page.locator(f"#page-{first.page} img").get_attribute("src")
    old_image = page.request.get(live_tiny.url + old_src).body()

    chapter = live_tiny.source / "first.md"
    text = chapter.read_text()
    chapter.write_text(text.replace("It was \"the best\" of times", "NEW OPENING WORDS. It was \"the best\" of times"))
    page.wait_for_function("old => document.body.dataset.build !== old", arg=old_build, timeout=LIVE_TIMEOUT_MS)
    assert visible_pages(page) == spread  # still on the page the reader was looking at
    new_src = page.locator(f"#page-{first.page} img").get_attribute("src")
    assert new_src != old_src and page.evaluate("document.body.dataset.build") in new_src
    assert images_loaded(page, ".spread.current img") == [880, 880]
    assert page.request.get(live_tiny.url + new_src).body() != old_image
    good_epub = (live_tiny.out / f"{SLUG}.epub").read_bytes()

    # a bad edit: the error shows with its position; the last good build stays downloadable
    second = live_tiny.source / "second.md"
    good_second = second.read_text()
    second.write_text(good_second.replace("title:", "title: [unclosed", 1))
    errors = page.locator(".errors .diagnostics")
    errors.wait_for(timeout=LIVE_TIMEOUT_MS)
    assert re.search(r"second\.md:\d+:\d+: error: ", errors.inner_text())
    assert visible_pages(page) == spread
    with page.expect_download() as info:
        page.click("a.download[data-kind=epub]")
    assert Path(info.value.path()).read_bytes() == good_epub

    # fixing it brings the preview back by itself
    second.write_text(good_second)
    page.locator(".errors").wait_for(state="detached", timeout=LIVE_TIMEOUT_MS)
    assert visible_pages(page) == spread
    assert page.locator("#live-status").inner_text().startswith("Built ")


def test_static_site_from_file(served_tiny: Served, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    state = served_tiny.state.current()
    site = tmp_path / "site"
    write_site(state.book, state.images, site)
    page.goto((site / "index.html").as_uri())
    assert page.locator("h1").inner_text() == "A Tiny Book"
    assert images_loaded(page, ".cover img") == [1600]
    page.click("#preview .next")
    assert visible_pages(page) == [2, 3] and images_loaded(page, ".spread.current img") == [880, 880]
    page.click("#page-2")
    assert images_loaded(page, "dialog.zoom .zoom-body img") == [1600]
    page.keyboard.press("Escape")
    for kind in ("epub", "pdf"):
        href = page.locator(f"a.download[data-kind={kind}]").get_attribute("href")
        assert (site / href).read_bytes() == (served_tiny.out / f"{SLUG}.{kind}").read_bytes()
    assert page.locator(".open-pdf").get_attribute("href") == f"files/{SLUG}.pdf"


def test_preview_of_a_book_that_never_built_comes_up_when_fixed(tiny: Path, tmp_path: Path, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from pipeline.build import STYLES_DIR
    from pipeline.web.state import BookState
    from pipeline.web.watch import Rebuilder
    from web_fixtures import start_server, stop_server

    second = tiny / "second.md"
    good = second.read_text()
    second.write_text(good.replace("title:", "title: [", 1))
    state = BookState(tiny, tmp_path / "out", STYLES_DIR)
    assert state.rebuild().book is None
    server, thread = start_server(state, live=True)
    rebuilder = Rebuilder([tiny, STYLES_DIR], tmp_path / "out", state.rebuild)
    rebuilder.start()
    try:
        page.goto(server.url)
        assert re.search(r"second\.md:\d+:\d+: error: ", page.locator(".errors .diagnostics").inner_text())
        assert "Nothing has been built yet" in page.locator(".errors").inner_text()
        assert page.locator("a.download").count() == 0
        second.write_text(good)
        page.locator("h1").wait_for(timeout=LIVE_TIMEOUT_MS)
        assert page.locator("h1").inner_text() == "A Tiny Book" and page.locator(".errors").count() == 0
        page.click("#preview .next")  # the new page's controls are wired
        assert visible_pages(page) == [2, 3]
    finally:
        # The page leaves before its server stops, as in the other tests (their server is a fixture
        # torn down after the page's): else an image it was still loading meets a closed server (503).
        page.goto("about:blank")
        rebuilder.close()
        state.close()
        stop_server(server, thread)

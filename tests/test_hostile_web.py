"""Hostile input to the web side (issue 12, sections 3 and 4): header values the server cannot
use get an answer below 500 and never an exception; `site` replaces only a folder it wrote,
never follows a symbolic link and leaves nothing of its own behind."""

from __future__ import annotations

import os
import socket
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from web_fixtures import Served, served_tiny  # noqa: F401

from pipeline.web.commands import EXIT_BUG, EXIT_MANUSCRIPT, EXIT_OK, _write_site
from pipeline.web.pages import PageImages
from pipeline.web.site import MARKER, NotASiteFolder, write_site
from pipeline.web.snapshot import Book

SLUG = "a-tiny-book"
PDF = f"/files/{SLUG}.pdf"
HUGE = "9" * 5000  # past Python's 4300-digit limit for int(str)
ZEROS = "0" * 5000


# -- the server ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def failures(served_tiny: Served) -> Iterator[list[BaseException]]:  # noqa: F811
    """What the server's handler threads raised; cleared for each test."""
    seen: list[BaseException] = []
    served_tiny.server.handle_error = lambda request, address: seen.append(sys.exc_info()[1])  # type: ignore[method-assign]
    yield seen
    del served_tiny.server.handle_error


@pytest.fixture
def server(served_tiny: Served, failures: list[BaseException]) -> Iterator[Served]:  # noqa: F811
    failures.clear()
    yield served_tiny
    assert not failures, failures


def exchange(served: Served, headers: list[tuple[str, str]], path: str = PDF) -> tuple[int, bytes]:
    """Send one GET with these header lines (bytes as given, duplicates kept) and read the
    whole answer; the server closes once it sees our end of the request stream."""
    host, port = urllib.parse.urlsplit(served.url).netloc.split(":")
    lines = [f"GET {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers), "", ""]
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall("\r\n".join(lines).encode("latin-1"))
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    reply = b"".join(chunks)
    while reply.startswith(b"HTTP/1.1 1"):  # an interim 100 Continue: the answer follows
        reply = reply.partition(b"\r\n\r\n")[2]
    assert reply.startswith(b"HTTP/1.1 "), f"no answer to {headers!r:.200}"
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_a_5000_digit_range_is_answered(server: Served) -> None:
    status, _ = exchange(server, [("Host", "127.0.0.1"), ("Range", f"bytes={HUGE}-")])
    assert status == 416


@pytest.mark.parametrize("value,first,last", [
    (f"bytes=0-{HUGE}", 0, None),  # an end past the file: up to its last byte
    (f"bytes=-{HUGE}", 0, None),  # a suffix longer than the file: all of it
    (f"bytes={ZEROS}5-{ZEROS}9", 5, 9),  # leading zeros are still the number
])
def test_long_range_numbers_mean_what_they_say(server: Served, value: str, first: int, last: int | None) -> None:
    built = (server.out / f"{SLUG}.pdf").read_bytes()
    status, body = exchange(server, [("Host", "127.0.0.1"), ("Range", value)])
    assert status == 206 and body == built[first:None if last is None else last + 1]


@pytest.mark.parametrize("headers,expected", [
    ([("Range", f"bytes={HUGE}-{HUGE}")], 416),
    ([("Range", "bytes=0-9"), ("If-Range", HUGE)], 200),  # not our validator: the whole file
    ([("If-Modified-Since", f"Mon, 01 Jan {HUGE} 00:00:00 GMT")], 200),
    ([("If-Modified-Since", f"Mon, 01 Jan 2000 00:00:00 +{HUGE}")], 200),
    ([("If-None-Match", f'W/"{HUGE}", *x')], 200),
    ([("Content-Length", HUGE)], 413),
    ([("Content-Length", "abc")], 400),
    ([("Content-Length", "-0")], 400),
    ([("Content-Length", "0"), ("Content-Length", "5")], 413),
])
def test_unusable_header_values(server: Served, headers: list[tuple[str, str]], expected: int) -> None:
    assert exchange(server, [("Host", "127.0.0.1"), *headers])[0] == expected


@pytest.mark.parametrize("host", [f"[{HUGE}", f"[{HUGE}]:80", f"{HUGE}:{HUGE}", "[::1", "[]", ":", "\xff"])
def test_unusable_host_is_misdirected(server: Served, host: str) -> None:
    assert exchange(server, [("Host", host)])[0] == 421


# Pieces a hostile client would try, glued together at random, or any Latin-1 text (what the
# server decodes header bytes as); CR and LF end a header line, so they are not in a value.
PIECES = ["bytes=", "BYTES=", "bytes", "=", "-", ",", ";", " ", "\t", HUGE, ZEROS, "0", "1", "-1", "18446744073709551616",
          "W/", '"', "*", "[", "]", ":", "::1", "127.0.0.1", "localhost", "\x00", "\x7f", "\xe9", "\xff", "GMT",
          "Mon, 01 Jan ", "+9999", "100-continue", "chunked", "keep-alive", "close", "1e9", "0x10", "\u00b2"]
NUMBERS = st.one_of(st.just(""), st.integers(0, 10**30).map(str), st.sampled_from([HUGE, ZEROS + "7", "-1"]))
VALUES = st.one_of(st.lists(st.sampled_from(PIECES), max_size=6).map("".join),
                   st.text(st.characters(max_codepoint=255, blacklist_characters="\r\n"), max_size=60),
                   st.builds("bytes={}-{}".format, NUMBERS, NUMBERS),  # well formed, numbers of any size
                   st.builds("Mon, {} Jan {} {}:00:00 {}".format, NUMBERS, NUMBERS, NUMBERS,
                             st.sampled_from(["GMT", f"+{HUGE}", "-2359", "+9999", ""])))
READ_HEADERS = ["Range", "If-Range", "If-None-Match", "If-Modified-Since", "Host", "Content-Length",
                "Transfer-Encoding", "Connection", "Expect"]


@pytest.mark.parametrize("name", READ_HEADERS)
def test_fuzzed_header_values_always_get_an_answer(served_tiny: Served, failures: list[BaseException],  # noqa: F811
                                                   name: str) -> None:
    @settings(max_examples=50, derandomize=True, deadline=None, database=None)
    @given(values=st.lists(VALUES, min_size=1, max_size=2))  # twice: duplicates are hostile too
    def check(values: list[str]) -> None:
        failures.clear()
        headers = [] if name == "Host" else [("Host", "127.0.0.1")]
        headers += [("Range", "bytes=0-9")] if name == "If-Range" else []
        status, _ = exchange(served_tiny, headers + [(name, v) for v in values])
        assert status < 500 and not failures, (values, failures)

    check()


# -- the static site ------------------------------------------------------------------------------
Built = tuple[Book, PageImages]


@pytest.fixture
def built(served_tiny: Served) -> Built:  # noqa: F811
    state = served_tiny.state.current()
    assert state.book is not None and state.images is not None
    return state.book, state.images


def tree(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (links not followed) with a file's text or a link's target."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        out[rel] = (f"-> {os.readlink(path)}" if path.is_symlink() else
                    "/" if path.is_dir() else path.read_bytes().decode("latin-1")[:100])
    return out


def users_files(folder: Path) -> dict[str, str]:
    (folder / "deep").mkdir(parents=True)
    (folder / "notes.txt").write_text("keep me")
    (folder / "deep" / "thesis.md").write_text("years of work")
    return tree(folder)


def test_a_sibling_dot_old_folder_survives(built: Built, tmp_path: Path) -> None:
    site = tmp_path / "site1"
    write_site(*built, site)
    mine = users_files(tmp_path / ".site1.old")
    write_site(*built, site)
    assert tree(tmp_path / ".site1.old") == mine
    assert sorted(os.listdir(tmp_path)) == [".site1.old", "site1"]  # no staging or old site left
    assert (site / MARKER).is_file() and (site / "index.html").is_file()


def test_a_symlink_at_dot_old_is_left_alone(built: Built, tmp_path: Path) -> None:
    work, elsewhere = tmp_path / "w", tmp_path / "elsewhere"
    mine = users_files(elsewhere)
    work.mkdir()
    write_site(*built, work / "site1")
    (work / ".site1.old").symlink_to(elsewhere, target_is_directory=True)
    write_site(*built, work / "site1")
    assert os.readlink(work / ".site1.old") == str(elsewhere) and tree(elsewhere) == mine
    assert sorted(os.listdir(work)) == [".site1.old", "site1"]


@pytest.mark.parametrize("kind", ["site", "users", "dangling"])
def test_a_symlink_as_the_target_is_refused(built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            served_tiny: Served, kind: str) -> None:  # noqa: F811
    work, elsewhere = tmp_path / "w", tmp_path / "elsewhere"
    work.mkdir()
    if kind == "site":  # even a link to a site this command wrote: it would replace the link
        write_site(*built, elsewhere)
    elif kind == "users":
        users_files(elsewhere)
    before = tree(elsewhere) if elsewhere.exists() else None
    (work / "site1").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(NotASiteFolder, match="symbolic link"):
        write_site(*built, work / "site1")
    assert _write_site(served_tiny.state, work / "site1") == EXIT_MANUSCRIPT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(work / "site1") in err and "-o" in err and "Traceback" not in err
    assert os.readlink(work / "site1") == str(elsewhere) and sorted(os.listdir(work)) == ["site1"]
    assert (tree(elsewhere) if elsewhere.exists() else None) == before


def test_links_inside_an_old_site_are_not_followed(built: Built, tmp_path: Path) -> None:
    site, elsewhere = tmp_path / "site1", tmp_path / "elsewhere"
    mine = users_files(elsewhere)
    write_site(*built, site)
    (site / "files" / "mine").symlink_to(elsewhere, target_is_directory=True)
    (site / "notes.txt").symlink_to(elsewhere / "notes.txt")
    write_site(*built, site)
    assert tree(elsewhere) == mine and not (site / "files" / "mine").exists()


@pytest.mark.parametrize("what", ["a file", "a foreign folder", "a symlinked marker", "a marker folder"])
def test_anything_not_written_by_site_is_refused(built: Built, tmp_path: Path, what: str) -> None:
    target = tmp_path / "site1"
    if what == "a file":
        target.write_text("keep me")
    else:
        users_files(target)
        if what == "a symlinked marker":
            (target / MARKER).symlink_to(target / "notes.txt")
        elif what == "a marker folder":
            (target / MARKER).mkdir()
    before = tree(tmp_path)
    with pytest.raises(NotASiteFolder, match=str(target)):
        write_site(*built, target)
    assert tree(tmp_path) == before


class _Failing:
    def path(self, size: str, page: int) -> Path:
        raise RuntimeError("rendering failed")


def test_a_failed_write_leaves_the_old_site_and_nothing_else(built: Built, tmp_path: Path) -> None:
    site = tmp_path / "site1"
    write_site(*built, site)
    before = tree(tmp_path)
    with pytest.raises(RuntimeError):
        write_site(built[0], _Failing(), site)  # type: ignore[arg-type]
    assert tree(tmp_path) == before


def test_a_failed_swap_puts_the_old_site_back(built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site1"
    write_site(*built, site)
    before = tree(tmp_path)

    def failing(move: Callable[[str, str], None]) -> Callable[[str, str], None]:
        def moved(src: str, dst: str) -> None:
            if Path(dst) == site and Path(src).parent == tmp_path:  # the new site moving in
                raise OSError(28, "No space left on device")
            move(src, dst)
        return moved

    monkeypatch.setattr(os, "rename", failing(os.rename))
    monkeypatch.setattr(os, "replace", failing(os.replace))
    with pytest.raises(OSError):
        write_site(*built, site)
    monkeypatch.undo()
    assert tree(tmp_path) == before


def test_an_unwritable_site_is_one_line(served_tiny: Served, tmp_path: Path,  # noqa: F811
                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("x")
    assert _write_site(served_tiny.state, tmp_path / "a-file" / "site") == EXIT_BUG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a-file" in err and "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == ["a-file"]
    assert _write_site(served_tiny.state, tmp_path / "ok") == EXIT_OK

"""Hostile manuscripts and a hostile machine (issue 12): no code from the cache, nothing read
from outside the manuscript folder, nothing blocks, every problem a message at its place, and
nothing the user had is lost.

Each build runs in its own process under an audit hook (tests/hostile.py) that records every
file the pipeline's Python code opens: "nothing outside was opened" is read from that record.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hostile import Run, run_build

from conftest import ROOT

SLUG = "a-tiny-book"


@pytest.fixture
def book(tiny: Path) -> Path:
    """A writable copy of the tiny manuscript (conftest), built with its folder as cwd's child."""
    return tiny


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the manuscript folder that no build may open."""
    path = tmp_path / "outside" / "secret.md"
    path.parent.mkdir()
    path.write_text("---\ntitle: Secret\n---\nTHE-SECRET-WORDS of the user.\n")
    return path


def build(book: Path, out: Path, *extra: str, cache: Path | None = None, **kw: object) -> Run:
    env = {"PIPELINE_CACHE": "1", "PIPELINE_CACHE_DIR": str(cache)} if cache else {"PIPELINE_CACHE": "0"}
    return run_build(["build", str(book), "-o", str(out), *extra], cwd=book.parent, env=env, **kw)  # type: ignore[arg-type]


def auto_listed(book: Path) -> None:
    """book.yaml without `chapters:`: every *.md file is a chapter."""
    (book / "book.yaml").write_text("\n".join(
        line for line in (book / "book.yaml").read_text().splitlines() if not line.startswith("chapters:")) + "\n")


def assert_refused(run: Run, where: str, words: str) -> None:
    assert run.code == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert any(line.startswith(where) and ": error: " in line and words in line
               for line in run.stderr.splitlines()), run.stderr


def epub_text(out: Path) -> str:
    with zipfile.ZipFile(out / f"{SLUG}.epub") as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


# -- 1. the cache never runs code --------------------------------------------------------------

class Boom:
    """Unpickling this runs a shell command that leaves a file behind."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def _yaml_key(book: Path) -> str:
    """The key the pipeline gives book.yaml's front matter in a build run inside the book
    folder, as an attacker can compute it for a given install."""
    from pipeline.cache.store import digest, pipeline_version

    return digest(pipeline_version(), "book.yaml", "1", (book / "book.yaml").read_text())


def _plant(folder: Path, kind: str, key: str, payload: bytes) -> None:
    import hashlib

    (folder / kind).mkdir(parents=True, exist_ok=True)
    (folder / kind / key).write_bytes(hashlib.sha256(payload).digest() + payload)  # the old, forgeable check


def test_a_cache_planted_in_the_manuscript_or_forged_in_the_users_cache_runs_no_code(
        book: Path, tmp_path: Path) -> None:
    """`python -m pipeline build .` inside the book folder, as the issue's attack ran it: the
    cache used to be BOOK/.pipeline-cache, beside the default output folder BOOK/build."""
    marker = tmp_path / "ran"
    payload = pickle.dumps(Boom(marker))
    user_cache = tmp_path / "user-cache"
    for folder in (book / ".pipeline-cache", user_cache):  # where it used to live; the user's own
        for kind in ("yaml", "chapter", "build"):
            _plant(folder, kind, _yaml_key(book), payload)
    env = {"PIPELINE_CACHE": "1", "PIPELINE_CACHE_DIR": str(user_cache)}
    run = run_build(["build", ".", "--only", "epub"], cwd=book, env=env)
    assert run.code == 0, run.stderr
    assert not marker.exists()
    # with the cache pointed into the manuscript folder itself: no cache at all
    env["PIPELINE_CACHE_DIR"] = str(book / ".pipeline-cache")
    inside = run_build(["build", ".", "-o", str(tmp_path / "out2"), "--only", "epub"], cwd=book, env=env)
    assert inside.code == 0, inside.stderr
    assert not marker.exists()
    assert not inside.opened_any(*(book / ".pipeline-cache").rglob("*"))


def test_every_cache_entry_is_authenticated_and_a_bad_one_is_a_miss(tmp_path: Path) -> None:
    import hashlib
    import shutil

    from pipeline.read import sources
    from pipeline.cache.store import Cache
    from pipeline.cache.entries import FrontMatter, ParsedChapter
    from pipeline.diagnostics import Collector, SourcePos

    cache = Cache(tmp_path / "c")
    chapter = ParsedChapter("book", "k.md", b"text")
    cache.put(chapter, b"good")
    assert cache.get(chapter) == b"good"
    entry = cache.path_of(chapter)
    moved = tmp_path / "c" / "build" / entry.name
    moved.parent.mkdir()
    shutil.copy(entry, moved)
    assert cache._read("build", entry.name) is None  # an entry moved to another kind is not the same entry
    assert oct(os.stat(tmp_path / "c" / ".key").st_mode & 0o777) == "0o600"
    entry.write_bytes(hashlib.sha256(b"evil").digest() + b"evil")
    assert cache.get(chapter) is None
    # an authenticated entry that does not unpickle (garbage a build of other code wrote) is a miss
    cache.put(FrontMatter("b.yaml", 1, "title: x"), b"\x80\x05garbage")
    assert sources.parse_yaml("title: x", SourcePos("b.yaml", 1, 1), Collector(), cache) is not None


def test_an_authenticated_garbage_chapter_entry_is_a_miss(book: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "user-cache"
    first = build(book, tmp_path / "out", "--only", "epub", cache=cache_dir)
    assert first.code == 0, first.stderr
    from pipeline.cache.store import Cache

    cache = Cache(cache_dir)
    for entry in (cache_dir / "chapter").iterdir():  # each rewritten with a valid HMAC: "garbage this user's builds wrote"
        entry.write_bytes(cache._mac("chapter", entry.name, b"\x80\x05not a pickle") + b"\x80\x05not a pickle")
    (book / "second.md").write_text((book / "second.md").read_text() + "\nOne more line.\n")
    again = build(book, tmp_path / "out", "--only", "epub", cache=cache_dir)
    assert again.code == 0 and "Traceback" not in again.stderr, again.stderr
    assert "One more line." in epub_text(tmp_path / "out")


# -- 1. nothing outside the folder is opened, nothing blocks ----------------------------------

def test_an_auto_listed_chapter_linked_out_of_the_folder_is_refused_unread(
        book: Path, secret: Path, tmp_path: Path) -> None:
    auto_listed(book)
    (book / "02-out.md").symlink_to(secret)
    (book / "03-passwd.md").symlink_to("/etc/passwd")
    run = build(book, tmp_path / "out", cache=tmp_path / "cache")
    assert_refused(run, "tiny/02-out.md", "outside the manuscript folder")
    assert_refused(run, "tiny/03-passwd.md", "outside the manuscript folder")
    assert not run.opened_any(secret, "/etc/passwd")
    assert not (tmp_path / "out").exists()


def test_a_link_out_of_the_folder_that_is_no_chapter_is_never_opened(
        book: Path, secret: Path, tmp_path: Path) -> None:
    """The whole-build cache key hashes every file in the folder: not what links lead out to."""
    (book / "notes.txt").symlink_to(secret)
    (book / "shadow").symlink_to("/etc/shadow")
    (book / "images").mkdir()
    (book / "images" / "elsewhere").symlink_to(secret.parent, target_is_directory=True)
    run = build(book, tmp_path / "out", "--only", "epub", cache=tmp_path / "cache")
    assert run.code == 0, run.stderr
    assert not run.opened_any(secret, "/etc/shadow")
    assert "THE-SECRET-WORDS" not in epub_text(tmp_path / "out")


def test_fifos_and_devices_never_block_or_fill_memory(book: Path, tmp_path: Path) -> None:
    os.mkfifo(book / "pipe")
    (book / "images").mkdir()
    os.mkfifo(book / "images" / "plate.png")
    (book / "zero").symlink_to("/dev/zero")
    run = build(book, tmp_path / "out", "--only", "epub", cache=tmp_path / "cache", timeout=120)
    assert run.code == 0, run.stderr  # none of them is part of the book: not read
    assert not run.opened_any(book / "pipe", book / "images" / "plate.png", "/dev/zero")
    auto_listed(book)
    os.mkfifo(book / "03-pipe.md")
    (book / "04-zero.md").symlink_to("/dev/zero")
    run = build(book, tmp_path / "out2", cache=tmp_path / "cache", timeout=120)
    assert_refused(run, "tiny/03-pipe.md", "named pipe (FIFO)")
    assert_refused(run, "tiny/04-zero.md", "outside the manuscript folder")
    assert not (tmp_path / "out2").exists()


def test_a_listed_chapter_that_is_a_fifo_is_refused(book: Path, tmp_path: Path) -> None:
    (book / "second.md").unlink()
    os.mkfifo(book / "second.md")
    run = build(book, tmp_path / "out", timeout=120)
    assert_refused(run, "tiny/book.yaml", "not a regular file")


# -- 2. front matter values: control characters, alias bombs, every one reported --------------

@pytest.mark.parametrize("escape", ["\\0", "\\x07", "\\uFFFE", "\\ud800"])
def test_yaml_escapes_that_make_characters_xml_cannot_hold_are_reported_at_their_line(
        book: Path, tmp_path: Path, escape: str) -> None:
    chapter = book / "first.md"
    chapter.write_text(chapter.read_text().replace('source: "A test transcription"',
                                                   f'source: "A test{escape} transcription"'))
    run = build(book, tmp_path / "out")
    assert_refused(run, "tiny/first.md:7:", "control character")
    assert not (tmp_path / "out").exists()


def test_an_alias_bomb_as_a_chapter_title_is_refused_before_it_expands(book: Path, tmp_path: Path) -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    chapter = book / "first.md"
    body = chapter.read_text().split("---\n", 2)[2]
    chapter.write_text("---\n" + "\n".join(levels) + "\ntitle: *i\n---\n" + body)
    run = build(book, tmp_path / "out", timeout=120, preexec=_memory_limit(2 << 30))
    assert_refused(run, "tiny/first.md:2:", "expands to more than")


def _memory_limit(limit: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def test_every_control_character_of_a_file_is_reported(book: Path, tmp_path: Path) -> None:
    chapter = book / "second.md"
    lines = chapter.read_text().splitlines()
    lines[7] += "\x01"
    lines[9] += "a\x02b\x03"
    chapter.write_text("\n".join(lines) + "\n")
    run = build(book, tmp_path / "out")
    assert run.code == 2, run.stderr
    found = [line.split(": error")[0] for line in run.stderr.splitlines() if "control character" in line]
    assert len(found) == 3 and found[0].startswith("tiny/second.md:8:") and found[1].startswith("tiny/second.md:10:")


def test_a_long_title_or_slug_gives_a_file_name_that_fits(book: Path, tmp_path: Path) -> None:
    yaml = book / "book.yaml"
    title = " ".join(f"word{i}" for i in range(60))
    yaml.write_text(yaml.read_text().replace('title: "A Tiny Book"', f'title: "{title}"'))
    run = build(book, tmp_path / "out", "--only", "epub")
    assert run.code == 0, run.stderr
    (made,) = (tmp_path / "out").iterdir()
    assert len(made.name) <= 90 and made.name.startswith("word0-word1-")
    yaml.write_text(yaml.read_text() + f"slug: {'x' * 300}\n")
    run = build(book, tmp_path / "out2", "--only", "epub")
    assert run.code == 0 and "Traceback" not in run.stderr, run.stderr
    assert "tiny/book.yaml:10:7: warning: 'slug' is longer than 80 characters" in run.stderr
    assert [p.name for p in (tmp_path / "out2").iterdir()] == ["x" * 80 + ".epub"]


# -- 3. the output folder: races, read-only, not a folder, a full disk ------------------------

_WRITER = """
import sys
from pathlib import Path
from pipeline.build import write_atomically
out, tag = Path(sys.argv[1]), sys.argv[2].encode()
for i in range(60):
    write_atomically({out / "a.epub": tag * (5000 + i), out / "a.pdf": tag * (9000 + i)})
"""


def test_two_builds_into_one_folder_never_break_each_other(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(out), tag], env=env, stderr=subprocess.PIPE,
                                text=True) for tag in ("A", "B", "C")]
    results = [(w.communicate(timeout=240)[1], w.returncode)[::-1] for w in writers]
    assert all(code == 0 for code, _ in results), results
    assert sorted(p.name for p in out.iterdir()) == ["a.epub", "a.pdf"]  # no temporaries left
    epub, pdf = (out / "a.epub").read_bytes(), (out / "a.pdf").read_bytes()
    assert len(set(epub)) == 1 and set(epub) == set(pdf)  # the two files of one build, never mixed


def test_two_real_builds_into_one_folder_both_succeed(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIPELINE_CACHE": "0"}
    cmd = [sys.executable, "-m", "pipeline", "build", str(book), "-o", str(out), "--only", "epub"]
    procs = [subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.communicate(timeout=240)[1], p.returncode)[::-1] for p in procs]
    assert all(code == 0 for code, _ in results), results
    assert [p.name for p in out.iterdir()] == [f"{SLUG}.epub"]


def _without_privileges() -> list[str]:
    """As root, permissions do not apply: the build runs without the capabilities that skip them."""
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"] if os.geteuid() == 0 else []


def _build_plain(book: Path, out: Path, prefix: list[str] = [], preexec=None) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]  # noqa: B006
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIPELINE_CACHE": "0"}
    return subprocess.run([*prefix, sys.executable, "-m", "pipeline", "build", str(book), "-o", str(out),
                           "--only", "epub"], env=env, capture_output=True, text=True, timeout=240, preexec_fn=preexec)


def _one_line_error(proc: subprocess.CompletedProcess[str], path: Path, cause: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and cause in lines[0], proc.stderr


def test_an_output_folder_that_cannot_be_written_is_one_line_naming_it(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _build_plain(book, out).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (book / "second.md").write_text((book / "second.md").read_text() + "\nAn edit.\n")
    out.chmod(0o555)
    try:
        _one_line_error(_build_plain(book, out, _without_privileges()), out, "permission denied")
    finally:
        out.chmod(0o755)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    a_file = tmp_path / "a-file"
    a_file.write_text("the user's")
    _one_line_error(_build_plain(book, a_file), a_file, "not a folder")
    _one_line_error(_build_plain(book, a_file / "out"), a_file, "not a folder")
    assert a_file.read_text() == "the user's"


def test_a_write_that_fails_halfway_leaves_the_previous_build_and_no_temporary(book: Path, tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes a write fail partway as a full disk does (EFBIG instead of ENOSPC).
    The book has its own cover (about 1 MB of noise), so that an EPUB-only build writes no other
    large file (the typographic cover's fonts) before the EPUB."""
    import random
    import resource

    from PIL import Image

    noise = random.Random(12).randbytes(1600 * 1000)
    Image.frombytes("L", (1600, 1000), noise).resize((1600, 2560)).save(book / "cover.png")
    (book / "book.yaml").write_text((book / "book.yaml").read_text() + "cover-image: cover.png\n")
    out = tmp_path / "out"
    assert _build_plain(book, out).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(before[f"{SLUG}.epub"]) > 700 * 1024
    (book / "second.md").write_text((book / "second.md").read_text() + "\nAn edit.\n")

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (512 * 1024, 512 * 1024))

    proc = _build_plain(book, out, preexec=small_files)
    _one_line_error(proc, out, "File too large")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing half-written, no temporary


def test_a_figure_or_cover_that_is_a_fifo_is_refused_without_blocking(book: Path, tmp_path: Path) -> None:
    (book / "images").mkdir()
    os.mkfifo(book / "images" / "plate.png")
    os.mkfifo(book / "cover.png")
    (book / "book.yaml").write_text((book / "book.yaml").read_text() + "cover-image: cover.png\n")
    chapter = book / "second.md"
    chapter.write_text(chapter.read_text() + "\n![A plate](images/plate.png)\n")
    line = len(chapter.read_text().splitlines())
    run = build(book, tmp_path / "out", timeout=120)
    assert_refused(run, f"tiny/second.md:{line}:", "named pipe (FIFO)")
    assert_refused(run, "tiny/book.yaml:10:", "named pipe (FIFO)")

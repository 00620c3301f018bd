"""The EPUB's zip container, written by pipeline.render.epub.container, is the one zipfile writes."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile

from pipeline.render.epub.container import deflate, write_zip


def _zipfile_writes(entries: list[tuple[str, bytes]], when: dt.datetime) -> bytes:
    """What the renderer wrote before: zipfile, one date, mimetype stored, the rest at level 9."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n, (name, data) in enumerate(entries):
            info = zipfile.ZipInfo(name, date_time=(max(when.year, 1980), when.month, when.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if n == 0 else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            z.writestr(info, data, compresslevel=9)
    return out.getvalue()


def test_the_container_has_zipfiles_bytes_and_reads_back() -> None:
    rng = random.Random(7)
    words = [bytes(rng.choice(b"abcdefghij ") for _ in range(rng.randint(1, 12))) for _ in range(300)]
    entries = [("mimetype", b"application/epub+zip"), ("META-INF/container.xml", b""),
               *((f"EPUB/text/ch{n:02d}.xhtml", b" ".join(rng.choices(words, k=rng.randint(0, 20000))))
                 for n in range(8))]
    for when in (dt.datetime(2019, 5, 1, tzinfo=dt.timezone.utc), dt.datetime(1970, 1, 1)):
        data = write_zip(entries, when)
        assert data == _zipfile_writes(entries, when)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert z.testzip() is None
            assert [(i.filename, z.read(i)) for i in z.infolist()] == entries


def test_every_entry_but_the_mimetype_is_compressed_by_the_callers_function() -> None:
    entries = [("mimetype", b"application/epub+zip"), ("a.xhtml", b"<p>text</p>" * 50), ("b.css", b"p {}")]
    asked: list[bytes] = []
    data = write_zip(entries, dt.datetime(2020, 1, 2), lambda b: asked.append(b) or deflate(b))
    assert asked == [entries[1][1], entries[2][1]]
    assert data == write_zip(entries, dt.datetime(2020, 1, 2))

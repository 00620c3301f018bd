"""The EPUB's zip container, written with one date on every entry so rebuilds give the same bytes.

The bytes are those zipfile writes (`mimetype` first and stored, the rest deflated at level 9,
no extra fields, Unix 0644 permissions). It is written here rather than through zipfile so that
each entry's compressed form can come from a caller's cache: after a one-chapter edit, only that
chapter is compressed again (compressing the whole book was a tenth of a second at 300k words).
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from typing import Callable

Deflate = Callable[[bytes], bytes]  # raw DEFLATE (no zlib header), level 9

_VERSION = 20  # 2.0: deflate; what zipfile writes for these entries
_UNIX = 3  # "made by" Unix, for the permissions in external_attr
_PERMISSIONS = 0o644 << 16


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _dos_time(when: dt.datetime) -> tuple[int, int]:
    """(time, date) in MS-DOS form, which cannot go before 1980."""
    year = max(when.year, 1980)
    return 0, (year - 1980) << 9 | when.month << 5 | when.day


def write_zip(entries: list[tuple[str, bytes]], when: dt.datetime, compress: Deflate = deflate) -> bytes:
    """entries: (name, bytes) in order; the first, `mimetype`, is stored uncompressed."""
    dos_time, dos_date = _dos_time(when)
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for n, (name, data) in enumerate(entries):
        stored = n == 0
        body = data if stored else compress(data)
        method = 0 if stored else 8
        crc = zlib.crc32(data)
        encoded = name.encode("ascii")  # EPUB file names here are ASCII: no UTF-8 flag
        local = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", _VERSION, 0, 0, method, dos_time, dos_date,
                            crc, len(body), len(data), len(encoded), 0) + encoded
        central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", _VERSION, _UNIX, _VERSION, 0, 0, method,
                                   dos_time, dos_date, crc, len(body), len(data), len(encoded), 0, 0, 0, 0,
                                   _PERMISSIONS, offset) + encoded)
        out += [local, body]
        offset += len(local) + len(body)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), offset, 0)
    return b"".join(out) + directory + end

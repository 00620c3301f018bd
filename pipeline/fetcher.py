"""A WeasyPrint URL fetcher that reads regular files from allowed folders only.

Nothing is fetched from the network during a build, and nothing outside the
folders it is given (styles, fonts, the manuscript) is read: `..` and symlinks
are resolved before the check, so neither can leave them.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Sequence
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline.read.files import Refused, read_regular
from pipeline.read.svg import output_bytes


class LocalFetcher(URLFetcher):
    # WeasyPrint 70 wants a URLFetcher subclass; a plain function is not accepted.
    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.roots = tuple(root.resolve() for root in roots)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        path = None
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path)).resolve()
        if path is None or not path.is_file() or not any(path.is_relative_to(root) for root in self.roots):
            self.refused.append(url)
            raise ValueError(f"refusing to fetch {url}: only files in the styles and manuscript folders are read")
        try:
            data = read_regular(path)  # regular files only, within the size limit, never blocking
        except (Refused, OSError) as exc:
            self.refused.append(url)
            raise ValueError(f"refusing to fetch {url}: {exc}") from None
        data = output_bytes(path, data)  # an SVG as sanitised, the same bytes as the EPUB's
        mime = "text/css" if path.suffix == ".css" else mimetypes.guess_type(path.name)[0]
        return URLFetcherResponse(path.as_uri(), data, {"Content-Type": mime or "application/octet-stream"})

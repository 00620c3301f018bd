"""A WeasyPrint URL fetcher that reads local files from allowed folders only.

Nothing is fetched from the network during a build, and nothing outside the
manuscript folder, the styles folder and the book's font folder is read.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedURL(ValueError):
    pass


class LocalFetcher(URLFetcher):
    def __init__(self, allowed: list[Path]) -> None:
        super().__init__(allowed_protocols=["file"])
        self.allowed = [p.resolve() for p in allowed]
        self.refused: list[str] = []

    def resolve(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise RefusedURL(f"not a local file: {url}")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.allowed):
            raise RefusedURL(f"outside the manuscript and styles folders: {url}")
        return path

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            path = self.resolve(url)
        except RefusedURL:
            self.refused.append(url)
            raise
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime})

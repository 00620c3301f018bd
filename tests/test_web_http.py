"""The book's server over real HTTP on loopback: downloads with the right headers, conditional
and range requests, GET/HEAD only, no path outside its routes, limits that keep it responsive."""

from __future__ import annotations

import http.client
import re
import socket
import time
import urllib.parse
from collections.abc import Iterator

import pypdfium2 as pdfium
import pytest
from PIL import Image
from web_fixtures import Served, served_tiny, start_server, stop_server  # noqa: F401

SLUG = "a-tiny-book"


def request(served: Served, method: str, path: str, headers: dict[str, str] | None = None,
            timeout: float = 10) -> tuple[http.client.HTTPResponse, bytes]:
    host, port = urllib.parse.urlsplit(served.url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host="Host" in (headers or {}), skip_accept_encoding=True)  # path as given
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def raw(served: Served, data: bytes, timeout: float = 10) -> bytes:
    host, port = urllib.parse.urlsplit(served.url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_page_names_the_book_and_links_its_files(served_tiny: Served) -> None:
    response, body = request(served_tiny, "GET", "/")
    html = body.decode()
    assert response.status == 200 and response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "script-src 'self'" in response.getheader("Content-Security-Policy")
    assert "<h1>A Tiny Book</h1>" in html and "For the tests" in html
    assert "Ann Author and Bo Writer" in html and "Edited by Ed Itor" in html
    assert f'href="files/{SLUG}.epub" download="{SLUG}.epub"' in html
    assert f'href="files/{SLUG}.pdf" download="{SLUG}.pdf"' in html
    epub, pdf = served_tiny.out / f"{SLUG}.epub", served_tiny.out / f"{SLUG}.pdf"
    assert f"{round(epub.stat().st_size / 1000)} KB" in html and f"{round(pdf.stat().st_size / 1000)} KB" in html
    pages = len(pdfium.PdfDocument(pdf.read_bytes()))
    assert len(re.findall(r'<a class="page (?:recto|verso)" id="page-\d+"', html)) == pages
    assert re.search(r'<div class="spread" data-spread="0" data-first="1"[^>]*><span class="page blank"', html)


@pytest.mark.parametrize("kind,media_type", [("epub", "application/epub+zip"), ("pdf", "application/pdf")])
def test_download_headers_and_bytes(served_tiny: Served, kind: str, media_type: str) -> None:
    response, body = request(served_tiny, "GET", f"/files/{SLUG}.{kind}")
    built = (served_tiny.out / f"{SLUG}.{kind}").read_bytes()
    assert response.status == 200
    assert body == built
    assert response.getheader("Content-Type") == media_type
    assert response.getheader("Content-Disposition") == f'attachment; filename="{SLUG}.{kind}"'
    assert response.getheader("Content-Length") == str(len(built))
    assert response.getheader("Accept-Ranges") == "bytes"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.getheader("ETag"))
    assert response.getheader("Last-Modified").endswith(" GMT")


def test_head_sends_headers_without_body(served_tiny: Served) -> None:
    response, body = request(served_tiny, "HEAD", f"/files/{SLUG}.pdf")
    assert response.status == 200 and body == b""
    assert response.getheader("Content-Length") == str((served_tiny.out / f"{SLUG}.pdf").stat().st_size)


def test_conditional_requests_answer_304(served_tiny: Served) -> None:
    first, _ = request(served_tiny, "GET", f"/files/{SLUG}.epub")
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"x", {etag}'}, {"If-Modified-Since": modified}):
        response, body = request(served_tiny, "GET", f"/files/{SLUG}.epub", headers)
        assert response.status == 304 and body == b"", headers
        assert response.getheader("ETag") == etag
    response, body = request(served_tiny, "GET", f"/files/{SLUG}.epub", {"If-None-Match": '"other"'})
    assert response.status == 200 and len(body) > 0
    # If-None-Match wins over If-Modified-Since (RFC 9110)
    response, _ = request(served_tiny, "GET", f"/files/{SLUG}.epub",
                          {"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert response.status == 200


def test_range_requests(served_tiny: Served) -> None:
    built = (served_tiny.out / f"{SLUG}.pdf").read_bytes()
    size = len(built)
    path = f"/files/{SLUG}.pdf"
    for header, first, last in (("bytes=0-99", 0, 99), ("bytes=100-", 100, size - 1), ("bytes=-50", size - 50, size - 1),
                                (f"bytes=10-{size + 1000}", 10, size - 1)):
        response, body = request(served_tiny, "GET", path, {"Range": header})
        assert response.status == 206, header
        assert body == built[first:last + 1], header
        assert response.getheader("Content-Range") == f"bytes {first}-{last}/{size}"
        assert response.getheader("Content-Length") == str(last - first + 1)
        assert response.getheader("Content-Type") == "application/pdf"
    for header in (f"bytes={size}-", f"bytes={size + 5}-{size + 10}", "bytes=-0", "bytes=9-3"):
        response, body = request(served_tiny, "GET", path, {"Range": header})
        assert response.status == 416, header
        assert response.getheader("Content-Range") == f"bytes */{size}"
    etag = request(served_tiny, "HEAD", path)[0].getheader("ETag")
    response, body = request(served_tiny, "GET", path, {"Range": "bytes=0-9", "If-Range": etag})
    assert response.status == 206 and body == built[:10]
    response, body = request(served_tiny, "GET", path, {"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert response.status == 200 and body == built  # the client's copy changed: the whole file


def test_pdf_opens_inline_for_the_viewer(served_tiny: Served) -> None:
    response, body = request(served_tiny, "GET", f"/view/{SLUG}.pdf")
    assert response.status == 200 and body.startswith(b"%PDF")
    assert response.getheader("Content-Disposition") == f'inline; filename="{SLUG}.pdf"'


def test_page_images_are_the_pdf_pages(served_tiny: Served) -> None:
    _, body = request(served_tiny, "GET", "/")
    html = body.decode()
    spread, zoom = re.search(r'src="(pages/[0-9a-f]{16}/s-003\.png)"', html)[1], \
        re.search(r'data-zoom="(pages/[0-9a-f]{16}/z-003\.png)"', html)[1]
    pdf = pdfium.PdfDocument((served_tiny.out / f"{SLUG}.pdf").read_bytes())
    width, height = pdf.get_page_size(2)
    for url, expected_width in ((spread, 880), (zoom, 1600)):
        response, data = request(served_tiny, "GET", "/" + url)
        assert response.status == 200 and response.getheader("Content-Type") == "image/png"
        assert "immutable" in response.getheader("Cache-Control")
        image = Image.open(__import__("io").BytesIO(data))
        assert image.width == expected_width and abs(image.height - expected_width * height / width) <= 1
        assert image.convert("L").getextrema()[0] < 100  # there is type on the page, not a blank
    build_id = served_tiny.state.current().book.build_id
    assert (served_tiny.out / ".pages" / build_id / "z-003.png").is_file()  # cached per build
    assert request(served_tiny, "GET", f"/pages/{build_id}/s-{len(pdf) + 1:03d}.png")[0].status == 404


@pytest.mark.parametrize("path", [
    "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%252e%252e/%252e%252e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
    "/..\\..\\etc\\passwd", "/%5c..%5c..%5cetc%5cpasswd", "//etc/passwd", "/files/../../../etc/passwd",
    f"/files/..%2f{SLUG}.epub", "/assets/../../pipeline/cli.py", "/pages/../../etc/passwd",
    "/pages/0000000000000000/../../../etc/passwd", "/files/", "/pages/", "/assets/", "/files", "/.pages/",
    "/index.html/..", "/http://example.com/", "/cover.png/../../etc/passwd",
])
def test_nothing_outside_the_routes(served_tiny: Served, path: str) -> None:
    response, body = request(served_tiny, "GET", path)
    assert response.status == 404, path
    assert b"root:" not in body and b"Index of" not in body


def test_absolute_form_and_request_line_traversal(served_tiny: Served) -> None:
    reply = raw(served_tiny, b"GET /%2e%2e/%2e%2e/%2e%2e/etc/passwd HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 404") and b"root:" not in reply
    reply = raw(served_tiny, b"GET http://127.0.0.1/../../etc/passwd HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
    assert b" 404 " in reply.split(b"\r\n")[0]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_only_get_and_head(served_tiny: Served, method: str) -> None:
    response, _ = request(served_tiny, method, "/")
    assert response.status == 405 and response.getheader("Allow") == "GET, HEAD"
    reply = raw(served_tiny, b"PROPFIND / HTTP/1.0\r\n\r\n")
    assert reply.split(b"\r\n")[0] == b"HTTP/1.1 405 Method Not Allowed"


def test_request_size_is_bounded(served_tiny: Served) -> None:
    assert raw(served_tiny, b"GET /" + b"a" * 5000 + b" HTTP/1.0\r\n\r\n").split(b" ")[1] == b"414"
    huge = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(40))
    assert raw(served_tiny, b"GET / HTTP/1.0\r\n" + huge + b"\r\n").split(b" ")[1] == b"431"
    assert raw(served_tiny, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello").split(b" ")[1] == b"413"


def test_foreign_host_names_are_refused(served_tiny: Served) -> None:
    """A page on another site cannot reach the loopback server through a DNS name it controls."""
    response, _ = request(served_tiny, "GET", "/", {"Host": "evil.example:80"})
    assert response.status == 421
    assert request(served_tiny, "GET", "/", {"Host": "localhost"})[0].status == 200
    assert b" 421 " in raw(served_tiny, b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n")


def test_a_silent_client_does_not_stall_the_others(served_tiny: Served) -> None:
    """Sockets that connect and send nothing hold one thread each, never the server."""
    host, port = urllib.parse.urlsplit(served_tiny.url).netloc.split(":")
    silent = [socket.create_connection((host, int(port))) for _ in range(5)]
    half = socket.create_connection((host, int(port)))
    half.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never finished
    try:
        response, body = request(served_tiny, "GET", f"/files/{SLUG}.epub", timeout=5)
        assert response.status == 200 and len(body) > 1000
    finally:
        for s in [*silent, half]:
            s.close()


def test_a_trickling_client_is_cut_off(served_tiny: Served) -> None:
    """A request that arrives a byte at a time, each within the socket timeout, still has to be
    complete within the request deadline (shortened here)."""
    server, thread = start_server(served_tiny.state)
    server.request_deadline = 1.0
    host, port = server.server_address[:2]
    try:
        with socket.create_connection((host, port), timeout=10) as s:
            cut = False
            for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100:
                try:
                    s.sendall(bytes([byte]))
                    time.sleep(0.1)
                    s.setblocking(False)
                    try:
                        if s.recv(1) == b"":
                            cut = True
                            break
                    except BlockingIOError:
                        pass
                    finally:
                        s.setblocking(True)
                        s.settimeout(10)
                except (ConnectionResetError, BrokenPipeError):
                    cut = True
                    break
            assert cut  # closed by the server after about 1 s of the 10 s this would take
    finally:
        stop_server(server, thread)


def test_a_full_server_says_so_at_once(served_tiny: Served) -> None:
    """With every thread taken by silent clients, the next one gets 503 instead of waiting."""
    server, thread = start_server(served_tiny.state, max_connections=3)
    host, port = server.server_address[:2]
    silent = [socket.create_connection((host, port)) for _ in range(3)]
    try:
        for s in silent:  # the server has accepted them all
            s.sendall(b"G")
        served = Served(server.url, served_tiny.state, server, served_tiny.out, served_tiny.source)
        statuses = set()
        for _ in range(20):
            try:
                statuses.add(request(served, "GET", "/", timeout=5)[0].status)
            except (ConnectionError, http.client.RemoteDisconnected):
                statuses.add(0)
            if 503 in statuses:
                break
        assert 503 in statuses
    finally:
        for s in silent:
            s.close()
        stop_server(server, thread)


def test_assets_and_cover(served_tiny: Served) -> None:
    for path, media_type in (("/assets/book.css", "text/css"), ("/assets/book.js", "text/javascript"),
                             ("/cover.png", "image/png")):
        response, body = request(served_tiny, "GET", path)
        assert response.status == 200 and response.getheader("Content-Type").startswith(media_type), path
        assert body
    assert Image.open(__import__("io").BytesIO(request(served_tiny, "GET", "/cover.png")[1])).size == (1600, 2560)


def test_clients_that_go_away_leave_the_terminal_quiet(served_tiny: Served, capfd: pytest.CaptureFixture[str]) -> None:
    host, port = urllib.parse.urlsplit(served_tiny.url).netloc.split(":")
    for _ in range(5):
        s = socket.create_connection((host, int(port)))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset on close
        s.sendall(f"GET /files/{SLUG}.epub HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        s.close()
    assert request(served_tiny, "GET", "/")[0].status == 200  # still serving
    time.sleep(0.5)
    assert "Traceback" not in capfd.readouterr().err

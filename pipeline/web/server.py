"""A small HTTP server for the book's page: GET and HEAD only, a fixed set of routes matched on
the raw path (nothing is ever mapped onto the file system, so no path can escape), proper
downloads (ETag, Last-Modified, 304, Range/206/416), bounded threads, socket timeouts."""

from __future__ import annotations

import email.utils
import http.server
import ipaddress
import json
import re
import socket
import sys
import threading
import time
from importlib import resources

from pipeline.web.bookpage import ASSETS, Links, cover_name, render_page
from pipeline.web.pages import IMAGE_NAME, ImagesClosed
from pipeline.web.snapshot import BuiltFile
from pipeline.web.state import BookState, State

MAX_CONNECTIONS = 32  # threads serving at once; more connections get 503 at once, not a stall
MAX_EVENT_STREAMS = 8  # long-lived live-preview connections, within MAX_CONNECTIONS
MAX_REQUEST_LINE = 4096
MAX_HEADER_BYTES = 16384
SOCKET_TIMEOUT = 15.0  # seconds a client may stay silent (or not read) before it is dropped
REQUEST_DEADLINE = 20.0  # seconds to send a whole request line and headers, however it trickles
KEEPALIVE_SECONDS = 15.0

_PAGE_IMAGE = re.compile(r"^/pages/([0-9a-f]{16})/([^/]+)$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$", re.ASCII)
CSP = ("default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
ALLOWED_METHODS = "GET, HEAD"


def _assets() -> dict[str, bytes]:
    folder = resources.files("pipeline.web") / "assets"
    return {name: (folder / name).read_bytes() for name in ASSETS}


def _number(digits: str) -> int:
    """A range bound of any length: int() refuses over 4300 digits; past 2**63 it is "more than any file"."""
    digits = digits.lstrip("0")
    return int(digits or "0") if len(digits) < 19 else 1 << 63


def http_date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: PDF viewers send many range requests
    server_version = "pipeline"
    sys_version = ""
    timeout = SOCKET_TIMEOUT
    server: BookServer

    # -- request limits ---------------------------------------------------------------------
    def handle_one_request(self) -> None:
        # The socket timeout bounds each wait; this bounds the whole request, so a client that
        # sends a byte every few seconds cannot hold a thread for ever.
        self.server.set_deadline(self.connection)
        try:
            super().handle_one_request()
        finally:
            self.server.clear_deadline(self.connection)

    def parse_request(self) -> bool:
        try:
            return self._parse_request()
        finally:
            self.server.clear_deadline(self.connection)  # the request is in: the response may take its time

    def _parse_request(self) -> bool:
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            self.requestline, self.command, self.request_version = "", "", "HTTP/1.1"
            return self._refuse(414)
        if not super().parse_request():
            return False
        if sum(len(k) + len(v) + 4 for k, v in self.headers.items()) > MAX_HEADER_BYTES:
            return self._refuse(431)
        lengths = [n.strip() for n in self.headers.get_all("Content-Length") or []]  # text: never int()
        if not all(n.isascii() and n.isdigit() for n in lengths):  # where the body ends is unknown
            return self._refuse(400, "Content-Length is not a number")  # (RFC 9112, 6.3)
        if self.command in ("GET", "HEAD") and (self.headers.get("Transfer-Encoding") or
                                                 any(n.strip("0") for n in lengths)):
            return self._refuse(413)  # GET and HEAD carry no body; one would desynchronise keep-alive
        if not self._host_allowed():
            return self._refuse(421, "this server answers only to its own address")
        return True

    def _refuse(self, code: int, explain: str | None = None) -> bool:
        self.close_connection = True  # the rest of this connection cannot be trusted to be requests
        self.send_error(code, explain=explain)
        return False

    def _host_allowed(self) -> bool:
        """On loopback, only loopback names: a web page elsewhere cannot reach this server
        through a DNS name it controls (DNS rebinding)."""
        if not self.server.loopback_only:
            return True
        hosts = self.headers.get_all("Host") or []
        if not hosts:  # HTTP/1.0 tools; browsers always send Host
            return True
        if len(hosts) > 1:
            return False
        host = self.headers["Host"].strip().lower()
        host = host[1:host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def version_string(self) -> str:
        return "pipeline"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet when all is well

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code in (405, 501):
            self.close_connection = True
        super().send_error(code, message, explain)

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    # -- methods ----------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        self._route(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._route(head=True)

    def _not_allowed(self) -> None:
        self.close_connection = True
        self.send_response(405)
        self.send_header("Allow", ALLOWED_METHODS)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def __getattr__(self, name: str) -> object:
        # Any other method (POST, PUT, PROPFIND, ...) gets 405 with Allow, not the default 501.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    # -- routes -----------------------------------------------------------------------------
    def _route(self, head: bool) -> None:
        path = self.path.split("?", 1)[0]  # the raw path: never decoded, never joined to a folder
        state = self.server.book_state.current()  # one snapshot for the whole request
        book = state.book
        if path in ("/", "/index.html"):
            return self._page(state, head)
        if path == "/events" and self.server.live:
            return self._events(state, head)
        if path.startswith("/assets/") and path[8:] in ASSETS:
            name = path[8:]
            data = self.server.assets[name]
            return self._send(BuiltFile(name, ASSETS[name], data, self.server.started), head, cache="no-cache")
        if book is not None:
            if path in (f"/files/{book.epub.name}", f"/files/{book.pdf.name}"):
                f = book.epub if path.endswith(".epub") else book.pdf
                return self._send(f, head, cache="no-cache", disposition=f'attachment; filename="{f.name}"')
            if path == f"/view/{book.pdf.name}":
                return self._send(book.pdf, head, cache="no-cache", disposition=f'inline; filename="{book.pdf.name}"')
            if path == "/" + cover_name(book):
                cover = BuiltFile(cover_name(book), book.cover_type, book.cover, book.epub.mtime)
                return self._send(cover, head, cache="no-cache")
            match = _PAGE_IMAGE.match(path)
            if match and state.images is not None and IMAGE_NAME.match(match[2]):
                return self._page_image(state, match[1], match[2], head)
        self.send_error(404)

    def _page(self, state: State, head: bool) -> None:
        html = render_page(state.book, errors=state.errors, error_count=state.error_count,
                           live="events" if self.server.live else "",
                           links=Links(), status=state.status, version=state.version,
                           warnings=state.warnings).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(html)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Security-Policy", CSP)
        self.end_headers()
        if not head:
            self.wfile.write(html)

    def _page_image(self, state: State, build_id: str, name: str, head: bool) -> None:
        images = state.images
        assert images is not None and state.book is not None
        size, page = IMAGE_NAME.match(name).groups()  # type: ignore[union-attr]
        if build_id == state.book.build_id:
            try:
                path = images.path(size, int(page))
            except (KeyError, IndexError):
                return self.send_error(404)
            except ImagesClosed:  # a rebuild replaced this build a moment ago
                return self.send_error(503, explain="the book was just rebuilt; reload the page")
        else:  # an image of an earlier build still cached (a page open before a rebuild)
            path = images.folder.parent / build_id / name
            if not path.is_file():
                return self.send_error(404)
        data = path.read_bytes()
        image = BuiltFile(name, "image/png", data, path.stat().st_mtime)
        self._send(image, head, cache="public, max-age=31536000, immutable")

    # -- files: conditional and range requests ------------------------------------------------
    def _not_modified(self, f: BuiltFile) -> bool:
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            return tags.strip() == "*" or f.etag in [t.strip().removeprefix("W/") for t in tags.split(",")]
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return int(f.mtime) <= email.utils.parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
        return False

    def _range(self, f: BuiltFile) -> tuple[int, int] | None | str:
        """(first, last) for a satisfiable single range, None for the whole file, "416" if
        unsatisfiable. Several ranges at once get the whole file (allowed by RFC 9110)."""
        header = self.headers.get("Range")
        if not header:
            return None
        if_range = self.headers.get("If-Range")
        if if_range and if_range.strip() not in (f.etag, http_date(f.mtime)):
            return None  # the client's copy is stale: send it the whole new file
        match = _RANGE.match(header.strip().replace(" ", ""))
        if not match:
            return None if "," in header or not header.startswith("bytes=") else "416"
        size = len(f.data)
        if not match[1]:  # the last N bytes
            n = _number(match[2])
            return (max(0, size - n), size - 1) if n > 0 and size > 0 else "416"
        first, end = _number(match[1]), _number(match[2]) if match[2] else size - 1
        return "416" if first >= size or end < first else (first, min(end, size - 1))

    def _send(self, f: BuiltFile, head: bool, cache: str, disposition: str = "") -> None:
        common = [("ETag", f.etag), ("Last-Modified", http_date(f.mtime)), ("Cache-Control", cache),
                  ("Accept-Ranges", "bytes")]
        if self._not_modified(f):
            self.send_response(304)
            for k, v in common:
                self.send_header(k, v)
            self.end_headers()
            return
        size = len(f.data)
        wanted = self._range(f)
        if wanted == "416":
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            for k, v in common:
                self.send_header(k, v)
            self.end_headers()
            return
        first, last = wanted if isinstance(wanted, tuple) else (0, size - 1)
        self.send_response(206 if isinstance(wanted, tuple) else 200)
        self.send_header("Content-Type", f.media_type)
        self.send_header("Content-Length", str(last - first + 1))
        if isinstance(wanted, tuple):
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        if disposition:
            self.send_header("Content-Disposition", disposition)
        for k, v in common:
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(f.data[first:last + 1])

    # -- live preview --------------------------------------------------------------------------
    def _events(self, state: State, head: bool) -> None:
        """Server-sent events: 'building' while a build runs, 'build' with the new state."""
        if not self.server.streams.acquire(blocking=False):
            return self.send_error(503, explain="too many live-preview connections")
        try:
            self.close_connection = True  # the stream ends only when the connection does
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            if head:
                return
            self.wfile.write(b"retry: 1000\n\n")
            self._event(state)
            while not self.server.book_state.closed:
                newer = self.server.book_state.wait(state.version, KEEPALIVE_SECONDS)
                if newer.version == state.version:
                    self.wfile.write(b": still here\n\n")  # keeps proxies and the socket awake
                    self.wfile.flush()
                    continue
                state = newer
                self._event(state)
        except (OSError, ValueError):
            pass  # the browser went away
        finally:
            self.server.streams.release()

    def _event(self, state: State) -> None:
        name = "building" if state.building else "build"
        data = json.dumps({"version": state.version, "build": state.book.build_id if state.book else "",
                           "errors": state.error_count, "status": state.status})
        self.wfile.write(f"event: {name}\ndata: {data}\n\n".encode())
        self.wfile.flush()


class BookServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, host: str, port: int, book_state: BookState, live: bool = False,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self.book_state, self.live = book_state, live
        self.slots = threading.BoundedSemaphore(max_connections)
        self.streams = threading.BoundedSemaphore(min(MAX_EVENT_STREAMS, max(1, max_connections // 2)))
        self.assets = _assets()
        self.started = time.time()
        self.request_deadline = REQUEST_DEADLINE
        self._deadlines: dict[socket.socket, float] = {}
        self._deadlines_lock = threading.Lock()
        self._closing = threading.Event()
        threading.Thread(target=self._reap, name="request-deadlines", daemon=True).start()
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), Handler)
        try:
            self.loopback_only = ipaddress.ip_address(host).is_loopback
        except ValueError:
            self.loopback_only = host == "localhost"

    def handle_error(self, request: object, client_address: object) -> None:  # type: ignore[override]
        # A client that went away or was cut off is normal; anything else is a bug: show it.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def set_deadline(self, connection: socket.socket) -> None:
        with self._deadlines_lock:
            self._deadlines[connection] = time.monotonic() + self.request_deadline

    def clear_deadline(self, connection: socket.socket) -> None:
        with self._deadlines_lock:
            self._deadlines.pop(connection, None)

    def _reap(self) -> None:
        """Cut off connections whose request is not in by its deadline."""
        while not self._closing.wait(0.5):
            now = time.monotonic()
            with self._deadlines_lock:
                late = [c for c, deadline in self._deadlines.items() if deadline < now]
                for c in late:
                    del self._deadlines[c]
            for c in late:
                try:
                    c.shutdown(socket.SHUT_RDWR)  # its thread's read returns at once and it ends
                except OSError:
                    pass

    def server_close(self) -> None:
        self._closing.set()
        super().server_close()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in str(host) else host}:{port}/"

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        # Every thread is bounded: when all are busy, answer 503 at once rather than queue
        # behind a slow client.
        if not self.slots.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
                                b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self.slots.release()
            raise

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

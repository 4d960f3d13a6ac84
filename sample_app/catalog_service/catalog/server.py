"""The catalog service: a small read-only HTTP service of the orders sample, standard library only.

Endpoints (JSON in, JSON out):

- ``GET /health``: ``{"status": "ok"}`` (the ALB target group and the ECS container health
  check call it);
- ``GET /catalog/items``: ``{"items": [...]}``, every item of the bundled ``catalog.json``;
- ``GET /catalog/items/<sku>``: one item, or 404;
- any other path: 404; any other method: 405 with ``Allow: GET``.

API Gateway passes ``/catalog/...`` paths through unchanged. One JSON log line per request goes to
stdout. SIGTERM (how ECS stops a task) or SIGINT stops accepting connections, lets the requests
in flight finish, and exits 0.

Environment:
    PORT: The TCP port to listen on (default 8080), on all interfaces.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["CatalogHandler", "CatalogServer", "load_catalog", "log", "main", "make_server"]

CATALOG_FILE = Path(__file__).with_name("catalog.json")
DEFAULT_PORT = 8080
ITEMS_PATH = "/catalog/items"
_stdout_lock = threading.RLock()  # re-entrant: the SIGTERM handler logs on the main thread


def log(level: str, message: str, **fields: Any) -> None:
    """Write one JSON log line to stdout.

    Args:
        level: ``INFO``, ``WARNING`` or ``ERROR``.
        message: What happened.
        **fields: More fields of the line.
    """
    record = {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "level": level,
        "service": "catalog",
        "message": message,
        **fields,
    }
    line = json.dumps(record, default=str) + "\n"
    with _stdout_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def load_catalog(path: Path = CATALOG_FILE) -> dict[str, dict[str, Any]]:
    """Load the catalog.

    Args:
        path: A JSON file holding a list of items, each with a unique ``sku``.

    Returns:
        The items by SKU, in file order.
    """
    items = json.loads(path.read_text(encoding="utf-8"))
    return {item["sku"]: item for item in items}


class CatalogServer(ThreadingHTTPServer):
    """A threading HTTP server holding the catalog it serves.

    Request threads are joined on ``server_close()``, so requests in flight complete on shutdown.

    Attributes:
        catalog: The items by SKU.
    """

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], catalog: dict[str, dict[str, Any]]) -> None:
        self.catalog = catalog
        super().__init__(address, CatalogHandler)


class CatalogHandler(BaseHTTPRequestHandler):
    """Serves the catalog read-only, as JSON."""

    server: CatalogServer
    server_version = "catalog/1.0"
    #: Seconds a connection may idle while a request is read (a stuck client cannot hold a thread).
    timeout = 10
    _started = 0.0

    def setup(self) -> None:
        """Prepare the connection (it carries one request: the server speaks HTTP/1.0)."""
        super().setup()
        self._started = time.monotonic()

    def parse_request(self) -> bool:
        """Parse the request line and headers; answer 405 to anything but ``GET`` right away.

        Returns:
            Whether to go on and dispatch the request to ``do_GET``.
        """
        if not super().parse_request():
            return False
        if self.command != "GET":
            self._send_json(
                HTTPStatus.METHOD_NOT_ALLOWED,
                {"message": f"method {self.command} is not allowed, only GET"},
                {"Allow": "GET"},
            )
            return False
        return True

    def do_GET(self) -> None:
        """Route a GET request."""
        path = unquote(urlsplit(self.path).path).rstrip("/") or "/"
        if path == "/health":
            self._send_json(HTTPStatus.OK, {"status": "ok"})
        elif path == ITEMS_PATH:
            self._send_json(HTTPStatus.OK, {"items": list(self.server.catalog.values())})
        elif path.startswith(ITEMS_PATH + "/"):
            sku = path.removeprefix(ITEMS_PATH + "/")
            item = self.server.catalog.get(sku)
            if item is None:
                self._send_json(HTTPStatus.NOT_FOUND, {"message": f"no item with sku {sku!r}"})
            else:
                self._send_json(HTTPStatus.OK, item)
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"message": f"no resource at {path}"})

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a malformed request (bad request line, oversized headers...) in JSON too.

        Args:
            code: The HTTP status.
            message: A short reason.
            explain: A longer explanation (unused: the reason is enough).
        """
        status = HTTPStatus(code)
        self._send_json(status, {"message": message or status.phrase})

    def _send_json(
        self, status: HTTPStatus, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        """Send a complete JSON response and log the request."""
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One JSON line per request on stdout (instead of the access log on stderr).

        Args:
            code: The response status.
            size: Unused (the base class never passes it here).
        """
        status = int(code) if isinstance(code, int) or str(code).isdigit() else 0
        headers = getattr(self, "headers", None)
        log(
            "INFO" if status < HTTPStatus.INTERNAL_SERVER_ERROR else "ERROR",
            "request",
            method=getattr(self, "command", None),
            path=getattr(self, "path", None),
            status=status,
            duration_ms=round((time.monotonic() - self._started) * 1000, 2),
            forwarded_for=headers.get("X-Forwarded-For") if headers else None,
            user_agent=headers.get("User-Agent") if headers else None,
        )

    def log_message(self, format: str, *args: Any) -> None:
        """Other server messages (timeouts, ...) as JSON lines on stdout, not on stderr.

        Args:
            format: A %-format string.
            *args: Its arguments.
        """
        log("WARNING", format % args, client=self.client_address[0])


def make_server(
    port: int = DEFAULT_PORT, host: str = "0.0.0.0", catalog_file: Path = CATALOG_FILE
) -> CatalogServer:
    """A server with the catalog loaded, bound and ready to ``serve_forever()``.

    Args:
        port: The TCP port; 0 picks a free one (see ``server_address``).
        host: The address to bind; all interfaces by default (the container's port is mapped).
        catalog_file: The catalog to serve.

    Returns:
        The server.
    """
    return CatalogServer((host, port), load_catalog(catalog_file))


def main() -> None:
    """Serve on ``$PORT`` until SIGTERM or SIGINT, then finish the requests in flight and exit."""
    server = make_server(int(os.environ.get("PORT", str(DEFAULT_PORT))))

    def stop(signum: int, _frame: FrameType | None) -> None:
        log("INFO", "stopping", signal=signal.Signals(signum).name)
        # shutdown() waits for serve_forever() to return: it must not run on this (main) thread.
        threading.Thread(target=server.shutdown, name="shutdown").start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    log("INFO", "listening", host=str(host), port=port, items=len(server.catalog))
    try:
        server.serve_forever()
    finally:
        server.server_close()
    log("INFO", "stopped")


if __name__ == "__main__":
    main()

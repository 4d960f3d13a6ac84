"""A small HTTP service: ``/health`` and the product catalog, as JSON.

``GET /health``, ``GET /catalog/items`` and ``GET /catalog/items/<sku>``; one JSON log line per
request on stdout; stops cleanly on SIGTERM (how ECS stops a task).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).with_name("catalog.json")


def load_catalog(path: Path = CATALOG_FILE) -> dict[str, dict[str, Any]]:
    """The catalog by SKU."""
    return {item["sku"]: item for item in json.loads(path.read_text())}


class CatalogHandler(BaseHTTPRequestHandler):
    """Serves the catalog read-only."""

    server_version = "catalog/1.0"
    catalog: dict[str, dict[str, Any]] = {}

    def do_GET(self) -> None:
        """Route a GET request."""
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        if path == "/health":
            self._send(HTTPStatus.OK, {"status": "ok"})
        elif path == "/catalog/items":
            self._send(HTTPStatus.OK, {"items": list(self.catalog.values())})
        elif path.startswith("/catalog/items/"):
            sku = path.removeprefix("/catalog/items/")
            item = self.catalog.get(sku)
            if item is None:
                self._send(HTTPStatus.NOT_FOUND, {"message": f"no item {sku!r}"})
            else:
                self._send(HTTPStatus.OK, item)
        else:
            self._send(HTTPStatus.NOT_FOUND, {"message": "not found"})

    def _not_allowed(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, {"message": "only GET"}, {"Allow": "GET"})

    do_POST = do_PUT = do_PATCH = do_DELETE = _not_allowed  # noqa: N815

    def _send(self, status: HTTPStatus, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One JSON line per request on stdout."""
        record = {
            "time": time.time(),
            "method": self.command,
            "path": self.path,
            "status": int(code),
        }
        sys.stdout.write(json.dumps(record) + "\n")


def make_server(port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """A server with the catalog loaded."""
    CatalogHandler.catalog = load_catalog()
    server = ThreadingHTTPServer((host, port), CatalogHandler)
    server.daemon_threads = True
    return server


def main() -> None:
    """Serve until SIGTERM or SIGINT."""
    server = make_server(int(os.environ.get("PORT", "8080")))

    def stop(signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()

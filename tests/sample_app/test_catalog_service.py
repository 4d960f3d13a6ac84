"""The catalog container's HTTP endpoints, served in-process on an ephemeral loopback port."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from catalog.server import make_server


@pytest.fixture(scope="module")
def base_url():
    server = make_server(0, host="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(url, method="GET"):
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_health(base_url):
    assert fetch(f"{base_url}/health")[:2] == (200, {"status": "ok"})


def test_items(base_url):
    status, body, headers = fetch(f"{base_url}/catalog/items")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert {item["sku"] for item in body["items"]} >= {"TEA-GREEN-100", "KETTLE-GOOSE"}


def test_one_item(base_url):
    status, body, _ = fetch(f"{base_url}/catalog/items/MUG-STONE-01")
    assert status == 200
    assert body["in_stock"] is False


def test_unknown_item_and_path(base_url):
    assert fetch(f"{base_url}/catalog/items/NOPE")[0] == 404
    assert fetch(f"{base_url}/admin")[0] == 404


def test_only_get(base_url):
    status, _, headers = fetch(f"{base_url}/catalog/items", method="DELETE")
    assert status == 405
    assert headers["Allow"] == "GET"

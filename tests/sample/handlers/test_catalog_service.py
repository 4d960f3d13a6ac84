"""The catalog container's HTTP endpoints, served in-process on an ephemeral loopback port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from catalog.server import CATALOG_FILE, make_server

from sample_app.contract import CONTAINER_HEALTH_CHECK

SERVICE_ROOT = Path(__file__).resolve().parents[3] / "sample_app" / "catalog_service"
CATALOG = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def base_url():
    server = make_server(0, host="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def fetch(url, method="GET"):
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None, response.headers
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None, error.headers


def test_health(base_url):
    status, body, headers = fetch(f"{base_url}/health")
    assert (status, body) == (200, {"status": "ok"})
    assert headers["Content-Type"] == "application/json"


def test_items(base_url):
    status, body, headers = fetch(f"{base_url}/catalog/items")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body == {"items": CATALOG}
    for item in body["items"]:
        assert set(item) == {"sku", "name", "price_cents", "currency", "in_stock"}
    assert fetch(f"{base_url}/catalog/items/?page=1")[1] == {"items": CATALOG}


def test_one_item(base_url):
    status, body, _ = fetch(f"{base_url}/catalog/items/MUG-STONE-01")
    assert status == 200
    assert body == {
        "sku": "MUG-STONE-01",
        "name": "Stoneware mug",
        "price_cents": 1450,
        "currency": "EUR",
        "in_stock": False,
    }


@pytest.mark.parametrize(
    "path", ["/catalog/items/NOPE", "/catalog/items/tea-green-100", "/catalog", "/", "/admin"]
)
def test_unknown_paths_are_404(base_url, path):
    status, body, headers = fetch(f"{base_url}{path}")
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert body["message"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE"])
def test_only_get_is_allowed(base_url, method):
    status, body, headers = fetch(f"{base_url}/catalog/items", method=method)
    assert status == 405
    assert headers["Allow"] == "GET"
    assert body == {"message": f"method {method} is not allowed, only GET"}


def test_head_is_405_without_a_body(base_url):
    status, body, headers = fetch(f"{base_url}/health", method="HEAD")
    assert (status, body) == (405, None)
    assert headers["Allow"] == "GET"


def test_one_json_log_line_per_request_on_stdout(base_url, capfd):
    capfd.readouterr()
    fetch(f"{base_url}/catalog/items/KETTLE-GOOSE")
    fetch(f"{base_url}/catalog/items", method="DELETE")
    out, err = capfd.readouterr()
    assert err == ""
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/catalog/items/KETTLE-GOOSE", 200),
        ("DELETE", "/catalog/items", 405),
    ]
    assert all(line["message"] == "request" for line in lines)


def test_the_container_command_serves_and_stops_on_sigterm():
    # What the Dockerfile runs, as ECS runs it: `python -m catalog.server`, stopped by SIGTERM.
    env = {**os.environ, "PORT": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "catalog.server"],
        cwd=SERVICE_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        listening = json.loads(process.stdout.readline())
        assert listening["message"] == "listening"
        # the ECS container health check command (CMD python3 -c ...), on this server's port
        _, _, flag, code = CONTAINER_HEALTH_CHECK
        assert ":8080/health" in code
        port = listening["port"]
        health_check = [sys.executable, flag, code.replace(":8080/", f":{port}/")]
        subprocess.run(health_check, check=True, timeout=10)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert err == ""
    messages = [json.loads(line)["message"] for line in out.splitlines()]
    assert messages == ["request", "stopping", "stopped"]

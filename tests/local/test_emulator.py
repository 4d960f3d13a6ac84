"""The emulator harness itself: loopback only."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.emulator

_LISTEN = "0A"


def listening_addresses(port: int) -> set[str]:
    """Local IPv4/IPv6 addresses (hex, as /proc/net shows them) listening on TCP ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if fields[3] == _LISTEN and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")
def test_the_emulator_listens_on_127_0_0_1_only(emulator):
    port = urlsplit(emulator.endpoint).port
    assert port is not None
    # 0100007F is 127.0.0.1 in /proc's little-endian hex; 00000000 would be every interface
    assert listening_addresses(port) == {"0100007F"}

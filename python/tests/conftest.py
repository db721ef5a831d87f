"""A real `strata serve` on a temporary store and a free port, for the whole session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import strata  # noqa: E402

# The tests name their servers and tokens themselves.
for _name in ("STRATA_SERVER", "STRATA_TOKEN"):
    os.environ.pop(_name, None)


def strata_bin() -> str:
    path = os.environ.get("STRATA_BIN") or shutil.which("strata")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "build", "tools", "strata")
    if not os.path.exists(path):
        pytest.exit("set STRATA_BIN to the strata binary", 2)
    return os.path.abspath(path)


DEFS = """entities:
  - name: customer
    join_keys:
      - {name: customer_id, type: int64}
  - name: region
    join_keys:
      - {name: region, type: string}
feature_views:
  - name: customer_stats
    entities: [customer]
    ttl: 7d
    features:
      - {name: spend_7d, type: double}
      - {name: segment, type: string}
      - {name: visits, type: int64}
      - {name: active, type: bool}
      - {name: last_seen, type: timestamp}
  - name: region_stats
    entities: [region]
    features:
      - {name: population_k, type: int64}
"""

# Written as a real tool would (pandas-like CSV with CRLF line ends).
STATS = (
    "customer_id,event_timestamp,spend_7d,segment,visits,active,last_seen\r\n"
    "1,2024-01-01T00:00:00Z,10.5,gold,3,true,2023-12-31T10:00:00Z\r\n"
    "1,2024-01-10T00:00:00Z,21,\"gold, plus\",5,false,2024-01-09T10:00:00Z\r\n"
    "2,2024-01-02T00:00:00Z,3,,,,\r\n"
)
REGIONS = "region,event_timestamp,population_k\nnorth,2024-01-01T00:00:00Z,120\nsouth,2024-01-01T00:00:00Z,80\n"


class Server:
    def __init__(self, binary: str, store: str) -> None:
        self.binary = binary
        self.store = store
        subprocess.run([binary, "--store", store, "init"], check=True,
                       stdout=subprocess.DEVNULL)
        self.proc = subprocess.Popen(
            [binary, "--store", store, "serve", "--listen", "127.0.0.1:0", "-q",
             "--log-served", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        serving = os.path.join(store, "serving")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(serving):
                url, pid = open(serving).read().split()
                if int(pid) == self.proc.pid:
                    self.url = url
                    return
            assert self.proc.poll() is None, "strata serve exited"
            time.sleep(0.01)
        raise RuntimeError("strata serve did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="session")
def binary() -> str:
    return strata_bin()


@pytest.fixture(scope="session")
def server(tmp_path_factory, binary):
    s = Server(binary, str(tmp_path_factory.mktemp("store") / "s"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def client(server):
    c = strata.Client(server.url)
    yield c
    c.close()


@pytest.fixture(scope="session")
def features(client):
    """The definitions applied and a few rows ingested, once per session."""
    client.apply(DEFS, message="test views")
    client.ingest("customer_stats", STATS.encode())
    client.ingest("region_stats", REGIONS.encode())
    return client

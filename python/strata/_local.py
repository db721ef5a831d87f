"""A `strata serve` started by the client on a local store (Client() without a URL)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from typing import Optional

from .errors import Unavailable

_IN_USE = re.compile(r"serves it at (\S+);")


class LocalServer:
    """`strata serve --listen 127.0.0.1:0` on `store`, until stop().

    The chosen URL comes from the store's `serving` file (`URL PID`, written by
    `strata serve` once it listens; docs/format.md). When another `strata serve`
    holds the store already, its URL is used and nothing is started.
    """

    def __init__(self, store: Optional[str] = None, binary: Optional[str] = None,
                 start_timeout: float = 30.0) -> None:
        self.store = os.path.abspath(store or os.environ.get("STRATA_STORE") or ".strata")
        self.binary = binary or os.environ.get("STRATA_BIN") or shutil.which("strata")
        if not self.binary:
            raise Unavailable("no strata binary: set $STRATA_BIN or put strata on PATH, "
                              "or give Client a url", "UNAVAILABLE", 0)
        self.process: Optional[subprocess.Popen] = None
        env = dict(os.environ)
        env.pop("STRATA_SERVER", None)
        env["STRATA_NO_PROGRESS"] = "1"
        if not os.path.isdir(self.store):
            subprocess.run([self.binary, "--store", self.store, "init"], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [self.binary, "--store", self.store, "serve", "--listen", "127.0.0.1:0", "-q"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log, env=env)
        self.url = self._wait_for_url(start_timeout)

    def _wait_for_url(self, timeout: float) -> str:
        serving = os.path.join(self.store, "serving")
        deadline = time.monotonic() + timeout
        pid = str(self.process.pid)
        while time.monotonic() < deadline:
            try:
                with open(serving) as f:
                    fields = f.read().split()
                if len(fields) == 2 and fields[1] == pid:
                    return fields[0]
            except FileNotFoundError:
                pass
            if self.process.poll() is not None:
                self._log.seek(0)
                log = self._log.read().decode("utf-8", "replace").strip()
                self.process = None
                m = _IN_USE.search(log)
                if m:  # another `strata serve` has the store: use it
                    return m.group(1)
                raise Unavailable(f"strata serve on {self.store} did not start: {log}",
                                  "UNAVAILABLE", 0)
            time.sleep(0.01)
        self.stop()
        raise Unavailable(f"strata serve on {self.store} did not start in {timeout:g} s",
                          "UNAVAILABLE", 0)

    def stop(self) -> None:
        """Stops the server this object started (SIGTERM, then SIGKILL after 10 s)."""
        p, self.process = self.process, None
        if p is None:
            return
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self._log.close()

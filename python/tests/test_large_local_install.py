"""A 200 MB put and download with bounded memory; local (no URL) mode; pip install."""

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import strata

PY = "/usr/bin/python3"
PKG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def test_200mb_put_and_download_with_bounded_memory(server, tmp_path):
    src = tmp_path / "big.bin"
    h = hashlib.sha256()
    with open(src, "wb") as f:
        block = os.urandom(1 << 20)
        for i in range(200):
            piece = block[i:] + block[:i]  # distinct chunks, cheap to make
            h.update(piece)
            f.write(piece)
    script = textwrap.dedent(f"""
        import resource, sys
        sys.path.insert(0, {PKG!r})
        import strata
        c = strata.Client({server.url!r})
        c.health()
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        v = c.put("dataset/big", {str(src)!r})
        after_put = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        c.download(v.ref, {str(tmp_path / "back.bin")!r})
        after_get = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(v.content_id, v.size, (after_put - base) // 1024, (after_get - base) // 1024)
    """)
    out = subprocess.run([PY, "-c", script], check=True, stdout=subprocess.PIPE,
                         text=True).stdout.split()
    content_id, size, put_mb, get_mb = out[0], int(out[1]), int(out[2]), int(out[3])
    print(f"peak RSS growth: put {put_mb} MB, download {get_mb} MB")
    assert content_id == "sha256:" + h.hexdigest() and size == 200 << 20
    assert put_mb < 160 and get_mb < 160
    with open(tmp_path / "back.bin", "rb") as f:
        assert hashlib.file_digest(f, "sha256").hexdigest() == h.hexdigest()


def test_local_mode_starts_and_stops_a_server(binary, tmp_path, monkeypatch):
    store = tmp_path / "nb" / ".strata"
    monkeypatch.setenv("STRATA_BIN", binary)
    monkeypatch.delenv("STRATA_SERVER", raising=False)
    monkeypatch.delenv("STRATA_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nb").mkdir()
    monkeypatch.chdir(tmp_path / "nb")
    with strata.Client() as c:  # ./.strata, created
        assert c.url.startswith("http://127.0.0.1:")
        assert c.put("config/local", b"a: 1\n").number == 1
        proc = c._server.process
        # A second client on the same store uses the running server.
        with strata.Client() as other:
            assert other.url == c.url and other._server.process is None
            assert other.get("config/local") == b"a: 1\n"
    assert proc.poll() is not None  # stopped on close()
    assert not (store / "serving").exists()
    monkeypatch.setenv("STRATA_STORE", str(tmp_path / "other"))
    c = strata.Client()
    assert c.ls() == []
    c.close()
    monkeypatch.setenv("STRATA_BIN", str(tmp_path / "missing"))
    with pytest.raises((strata.Unavailable, FileNotFoundError)):
        strata.Client()


def test_local_mode_stops_at_exit(binary, tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {PKG!r})
        import strata
        c = strata.Client()
        c.put("config/x", b"1")
        print(c._server.process.pid)
    """)
    env = dict(os.environ, STRATA_BIN=binary, STRATA_STORE=str(tmp_path / "s"))
    env.pop("STRATA_SERVER", None)
    pid = int(subprocess.run([PY, "-c", script], env=env, check=True, stdout=subprocess.PIPE,
                             text=True).stdout)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_pip_install_into_a_venv(tmp_path, server):
    # A copy: pip's build writes build/ and *.egg-info beside the sources.
    src = tmp_path / "src"
    shutil.copytree(PKG, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache", "tests"))
    venv = tmp_path / "venv"
    subprocess.run([PY, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                          "--no-build-isolation", "--no-index", str(src)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         cwd=tmp_path)
    assert pip.returncode == 0, pip.stdout
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import strata, strata.feast, sys; c = strata.Client(sys.argv[1]);"
         "print(strata.__file__); print(c.health())", server.url],
        stdout=subprocess.PIPE, text=True, check=True, cwd=tmp_path).stdout.split()
    assert out[0].startswith(str(venv)) and out[1] == "True"

"""Runs, and every exception class."""

import os
import subprocess
import threading

import pytest

import strata
from conftest import Server


def test_run_records_params_metrics_outputs_and_status(client):
    client.put("dataset/run-train", b"x\n1\n")
    with client.start_run("train", params={"lr": 0.1, "depth": 6},
                          inputs=["dataset/run-train"]) as run:
        assert run.status == "RUNNING" and len(run.id) == 16
        run.log_metric("auc", 0.91)
        run.log_metrics({"loss": 0.25, "epochs": 3})
        out = run.put("model/run-churn", b"weights")
        assert out.run == run.id
    assert run.status == "OK"
    info = client.run(run.id).info
    assert info["params"] == {"lr": "0.1", "depth": "6"}
    assert info["metrics"] == {"auc": 0.91, "loss": 0.25, "epochs": 3.0}
    assert info["inputs"] == ["dataset/run-train@1"] and info["outputs"] == [out.ref]
    assert run.id in [r["id"] for r in client.runs()]
    lineage = client.lineage(out.ref)
    assert f"run/{run.id}" in {n["id"] for n in lineage["nodes"]}
    with pytest.raises(strata.FailedPrecondition):
        run.log_metric("auc", 0.5)  # finished
    with pytest.raises(TypeError):
        run.log_metric("auc", "high")


def test_a_block_that_raises_fails_the_run(client):
    with pytest.raises(KeyError):
        with client.start_run("broken") as run:
            raise KeyError("x")
    assert run.refresh()["status"] == "FAILED"
    with pytest.raises(ValueError):
        run.finish("maybe")


def test_error_classes(client, binary, tmp_path):
    with pytest.raises(strata.NotFound) as e:
        client.show("model/err-nope")
    assert (e.value.code, e.value.status) == ("NOT_FOUND", 404)
    assert e.value.message == "no artifact model/err-nope"
    assert isinstance(e.value, strata.Error)
    with pytest.raises(strata.InvalidArgument) as e:
        client.show("widget/x")
    assert e.value.status == 400 and "widget" in e.value.message
    with pytest.raises(strata.InvalidArgument):  # refused before sending
        client.show("no-kind")
    with pytest.raises(ValueError):  # InvalidArgument is a ValueError too
        client.put("model/err-x@2", b"")
    with pytest.raises(TypeError):
        client.put("model/err-x", 42)
    with pytest.raises(TypeError):
        client.put("model/err-x", b"x", meta={"k": 1})
    client.put("model/err-m", b"1")
    client.set_alias("model/err-m", "prod", 1)
    with pytest.raises(strata.FailedPrecondition) as e:
        client.set_alias("model/err-m", "prod", 1, expect=0)
    assert e.value.status == 412
    with pytest.raises(strata.NotFound):
        client.set_alias("model/err-m", "prod", 9)

    # A server that authenticates: Unauthenticated, PermissionDenied.
    store = str(tmp_path / "auth")
    subprocess.run([binary, "--store", store, "init"], check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, STRATA_STORE=store)
    env.pop("STRATA_SERVER", None)
    read = subprocess.run([binary, "token", "create", "--scope", "read", "--name", "r"],
                          env=env, check=True, stdout=subprocess.PIPE, text=True).stdout.split()[0]
    s = Server(binary, store)
    try:
        with strata.Client(s.url, token="strata_" + "0" * 64) as bad:
            with pytest.raises(strata.Unauthenticated) as e:
                bad.ls()
            assert e.value.status == 401
        with strata.Client(s.url, token=read) as reader:
            assert reader.ls() == []
            with pytest.raises(strata.PermissionDenied) as e:
                reader.put("model/x", b"1")
            assert e.value.status == 403
            # AlreadyExists is what the server answers 409 ALREADY_EXISTS with.
            assert issubclass(strata.AlreadyExists, strata.Error)
    finally:
        s.stop()
    # Unavailable: nothing listens any more.
    with strata.Client(s.url, timeout=5) as gone:
        with pytest.raises(strata.Unavailable) as e:
            gone.ls()
        assert e.value.status == 0


def test_error_from_codes():
    from strata.errors import error_for
    for code, cls in [("ALREADY_EXISTS", strata.AlreadyExists),
                      ("UNAVAILABLE", strata.Unavailable),
                      ("DATA_LOSS", strata.Error)]:
        e = error_for(code, "m", 409)
        assert type(e) is cls and e.code == code and e.status == 409


def test_a_dropped_keep_alive_connection_is_retried_for_safe_requests(client):
    client.ls()
    conn = client._t._local.conn
    # The server closes idle connections; simulate that by shutting the socket down.
    import socket
    conn.sock.shutdown(socket.SHUT_RDWR)
    assert isinstance(client.ls(), list)  # reconnected
    conn = client._t._local.conn
    conn.sock.shutdown(socket.SHUT_RDWR)
    assert client.put("dataset/err-retry", b"1").number == 1  # fresh before an unsafe one


def test_concurrent_clients_on_threads(client, features):
    errors = []
    barrier = threading.Barrier(8)

    def work(i):
        try:
            barrier.wait()
            for j in range(10):
                v = client.put(f"dataset/thread-{i}", b"%d-%d" % (i, j))
                assert client.get(v.ref) == b"%d-%d" % (i, j)
                r = client.online(["customer_stats:spend_7d"], {"customer_id": [1, 2]})
                assert r.statuses["spend_7d"][0] in ("PRESENT", "OUTSIDE_MAX_AGE")
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert [len(client.versions(f"dataset/thread-{i}")) for i in range(8)] == [10] * 8
    assert len(client._t._all) >= 8  # one connection per thread


def test_https_with_a_ca_file(binary, tmp_path):
    import shutil as _shutil
    if not _shutil.which("openssl"):
        pytest.skip("no openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-keyout", str(key),
                    "-out", str(cert), "-subj", "/CN=strata", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    store = str(tmp_path / "tls")
    subprocess.run([binary, "--store", store, "init"], check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([binary, "--store", store, "serve", "--listen", "127.0.0.1:0",
                             "-q", "--tls-cert", str(cert), "--tls-key", str(key)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        serving = os.path.join(store, "serving")
        import time
        for _ in range(3000):
            if os.path.exists(serving):
                url, pid = open(serving).read().split()
                if int(pid) == proc.pid:
                    break
            time.sleep(0.01)
        assert url.startswith("https://")
        with strata.Client(url, ca_file=str(cert)) as c:
            assert c.put("config/tls", b"x: 1\n").number == 1
            assert c.get("config/tls") == b"x: 1\n"
        with strata.Client(url, timeout=5) as untrusted:  # the system's CAs
            with pytest.raises(strata.Unavailable):
                untrusted.ls()
    finally:
        proc.terminate()
        proc.wait(10)

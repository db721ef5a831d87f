"""Artifacts: put, get, download, show, versions, ls, aliases, delete, lineage."""

import datetime as dt
import hashlib
import io
import os
import subprocess

import pytest

import strata


def test_put_bytes_path_and_file_and_show(client, tmp_path):
    v = client.put("model/art-a", b"weights-1", meta={"auc": "0.81"}, message="baseline")
    assert isinstance(v, strata.Version)
    assert v.ref == "model/art-a@1" and v.kind == "model" and v.name == "art-a"
    assert v.number == 1 and v.size == 9 and v.meta == {"auc": "0.81"}
    assert v.content_id == "sha256:" + hashlib.sha256(b"weights-1").hexdigest()
    assert v.message == "baseline" and v.creator
    assert v.created.tzinfo is not None and v.created.utcoffset() == dt.timedelta(0)
    path = tmp_path / "w.bin"
    path.write_bytes(b"weights-2")
    v2 = client.put("model/art-a", path, inputs=["model/art-a@1"])
    assert v2.number == 2 and v2.inputs == ["model/art-a@1"]
    with open(path, "rb") as f:
        same = client.put("model/art-a", f, inputs=["model/art-a@1"])
    assert same.number == 2  # equal to the latest: that version answers
    v3 = client.put("model/art-a", str(path), alias="staging")
    assert v3.number == 3 and v3.aliases == ["staging"]
    assert client.show("model/art-a") == client.show("model/art-a@3")
    assert client.show("model/art-a@staging").number == 3
    assert client.get("model/art-a@1") == b"weights-1"
    assert [x.number for x in client.versions("model/art-a")] == [3, 2, 1]


def test_put_over_a_mib_goes_through_the_chunk_protocol(client, tmp_path):
    data = os.urandom(3 << 20)
    v = client.put("dataset/art-big", data)
    assert v.size == len(data)
    assert v.content_id == "sha256:" + hashlib.sha256(data).hexdigest()
    # An edit near the start: only the chunks around it travel.
    edited = b"x" + data
    sent = []
    original = client._send_missing

    def spy(batch):
        before = client._t.request("POST", "/v1/chunks/missing",
                                   body=b"".join(d for d, _ in batch)).data
        sent.append(len(before) // 32)
        original(batch)
    client._send_missing = spy
    try:
        v2 = client.put("dataset/art-big", io.BytesIO(edited))
    finally:
        del client._send_missing
    assert v2.number == 2 and client.get("dataset/art-big@2") == edited
    assert 1 <= sum(sent) <= 3
    assert client.get("dataset/art-big@1") == data


def test_download_is_verified_and_atomic(client, tmp_path):
    client.put("config/art-dl", b"lr: 0.1\n")
    target = tmp_path / "cfg.yaml"
    target.write_bytes(b"old")
    v = client.download("config/art-dl", target)
    assert target.read_bytes() == b"lr: 0.1\n" and v.ref == "config/art-dl@1"
    assert [p.name for p in tmp_path.iterdir()] == ["cfg.yaml"]  # no temp file left
    with pytest.raises(strata.NotFound):
        client.download("config/art-nope", tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["cfg.yaml"]


def test_ls_aliases_alias_log_and_compare_and_set(client):
    client.put("model/art-m", b"1")
    client.put("model/art-m", b"2")
    names = [a["artifact"] for a in client.ls("model")]
    assert "model/art-m" in names and all(n.startswith("model/") for n in names)
    assert "model/art-m" in [a["artifact"] for a in client.ls()]
    move = client.set_alias("model/art-m", "production", 1, expect=0, reason="first")
    assert move["to"] == 1 and move["from"] is None
    with pytest.raises(strata.FailedPrecondition) as e:
        client.set_alias("model/art-m", "production", 2, expect=2)
    assert e.value.status == 412
    client.set_alias("model/art-m", "production", 2, expect=1, reason="auc +2%")
    assert client.aliases("model/art-m") == {"production": 2}
    log = client.alias_log("model/art-m")
    assert [(m["from"], m["to"], m["reason"]) for m in log] == [
        (None, 1, "first"), (1, 2, "auc +2%")]
    client.remove_alias("model/art-m", "production", reason="retired")
    assert client.aliases("model/art-m") == {}
    with pytest.raises(TypeError):
        client.set_alias("model/art-m", "production", "2")


def test_delete_and_lineage(client):
    raw = client.put("dataset/art-raw", b"a,b\n1,2\n")
    clean = client.put("dataset/art-clean", b"a\n1\n", inputs=[raw.ref])
    up = client.lineage(clean.ref)
    assert {n["id"] for n in up["nodes"]} == {clean.ref, raw.ref}
    assert len(up["edges"]) == 1
    down = client.lineage(raw.ref, direction="down", depth=1)
    assert clean.ref in {n["id"] for n in down["nodes"]}
    client.put("dataset/art-raw", b"a,b\n1,3\n")  # raw@1 is no longer the latest
    client.set_alias("dataset/art-clean", "production", 1)
    with pytest.raises(strata.FailedPrecondition) as e:
        client.delete(raw.ref)  # the aliased clean@1 was made from it
    assert "production" in e.value.message or "art-clean" in e.value.message
    with pytest.raises(ValueError):
        client.lineage(raw.ref, direction="sideways")
    gone = client.delete(raw.ref, reason="PII", force=True)
    assert gone.deleted is not None
    with pytest.raises(strata.FailedPrecondition):
        client.get(raw.ref)


def test_put_and_get_agree_with_the_cli(client, server, tmp_path):
    data = b"".join(b"%d,row\n" % i for i in range(300_000))  # 2.3 MB: chunked
    path = tmp_path / "rows.csv"
    path.write_bytes(data)
    env = dict(os.environ, STRATA_SERVER=server.url, STRATA_NO_PROGRESS="1")
    subprocess.run([server.binary, "put", "dataset/art-cli", str(path)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    v = client.put("dataset/art-py", path)
    assert v.content_id == client.show("dataset/art-cli").content_id
    out = tmp_path / "back.csv"
    subprocess.run([server.binary, "get", v.ref, "-o", str(out)], env=env, check=True)
    assert out.read_bytes() == data == client.get("dataset/art-cli")

"""Features: apply, ingest, push, historical (equal to the CLI's), reproduce, online."""

import io
import json
import os
import subprocess
import urllib.request

import numpy as np
import pandas as pd
import pytest

import strata

FEATURES = ["customer_stats:spend_7d", "customer_stats:segment", "customer_stats:visits",
            "customer_stats:active", "customer_stats:last_seen"]


def spine_frame():
    return pd.DataFrame({
        "customer_id": [1, 2, 3, 1, 1],
        "event_timestamp": pd.to_datetime(
            ["2024-01-04", "2024-01-03", "2024-01-03", "2024-01-12", "2023-12-31"], utc=True),
        "label": [1, 0, 0, 1, 0],
        "weight": [0.5, 1.0, 2.0, 0.25, 1.5],
        "note": ["a", None, "c", "d", "e"],
    }, index=[10, 11, 12, 13, 14])


def cli(server, *args, **kw):
    env = dict(os.environ, STRATA_SERVER=server.url, STRATA_NO_PROGRESS="1")
    return subprocess.run([server.binary, *args], env=env, check=True,
                          stdout=subprocess.PIPE, **kw).stdout


def test_apply_accepts_a_path_text_and_a_dict(client, features, tmp_path):
    from conftest import DEFS
    p = tmp_path / "defs.yaml"
    p.write_text(DEFS)
    assert [v["changed"] for v in client.apply(p)] == [False, False]
    assert [v["changed"] for v in client.apply(str(p))] == [False, False]
    d = {"entities": [{"name": "store", "join_keys": [{"name": "store_id", "type": "string"}]}],
         "feature_views": [{"name": "store_stats", "entities": ["store"],
                            "features": [{"name": "open", "type": "bool"}]}]}
    assert client.apply(d, message="stores") == [
        {"name": "store_stats", "version": 1, "changed": True, "kind": "featureview"}]
    view = client.feature_view("store_stats")
    assert view.join_keys == {"store_id": "string"} and view.features == {"open": "bool"}
    with pytest.raises(strata.InvalidArgument) as e:
        client.apply("feature_views:\n  - name: x\n    featurs: []\n")
    assert e.value.status == 400 and "featurs" in e.value.message


def test_historical_is_typed_and_keeps_the_spine(features):
    spine = spine_frame()
    df = features.historical(spine, FEATURES)
    assert list(df.columns) == list(spine.columns) + [f.split(":")[1] for f in FEATURES]
    assert list(df.index) == list(spine.index)
    for c in spine.columns:
        assert df[c].dtype == spine[c].dtype
        assert df[c].tolist() == spine[c].tolist()
    assert str(df.spend_7d.dtype) == "float64"
    assert str(df.visits.dtype) == "Int64"
    assert str(df.active.dtype) == "boolean"
    assert df.segment.dtype == object
    assert str(df.last_seen.dtype) == "datetime64[ns, UTC]"
    assert df.spend_7d.tolist()[:2] == [10.5, 3.0]
    assert df.segment.tolist()[0] == "gold" and df.segment.tolist()[3] == "gold, plus"
    assert df.visits.tolist()[0] == 3 and df.visits.isna().tolist() == [False, True, True, False, True]
    assert df.active[10] == True and df.active[13] == False  # noqa: E712
    assert df.last_seen[10] == pd.Timestamp("2023-12-31T10:00:00Z")
    assert np.isnan(df.spend_7d[14])  # before any row
    s = df.attrs["strata"]
    assert s["rows"] == 5 and s["matched"] == 3
    assert s["featureviews"] == ["featureview/customer_stats@1"]
    assert s["ingest_position"] >= 1 and s["dataset"] is None


def test_historical_equals_the_cli_for_the_same_spine(features, server, tmp_path):
    spine = spine_frame()[["customer_id", "event_timestamp", "label"]]
    path = tmp_path / "spine.csv"
    # The CLI's input as pandas writes it, with CRLF line ends.
    spine.assign(event_timestamp=spine.event_timestamp.dt.strftime("%Y-%m-%dT%H:%M:%SZ")) \
        .to_csv(path, index=False, lineterminator="\r\n")
    out = cli(server, "historical", "--spine", str(path), "--features", ",".join(FEATURES))
    expected = pd.read_csv(io.BytesIO(out), dtype={"visits": "Int64", "active": "boolean",
                                                   "segment": object},
                           keep_default_na=False, na_values=[""],
                           true_values=["true"], false_values=["false"])
    expected["event_timestamp"] = pd.to_datetime(expected.event_timestamp, utc=True)
    expected["last_seen"] = pd.to_datetime(expected.last_seen, utc=True)
    expected["segment"] = expected.segment.astype(object).where(expected.segment.notna(), None)
    got = features.historical(spine, FEATURES).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    # A spine CSV read back by pandas (int64 ns timestamps) gives the same rows.
    frame = pd.read_csv(path, parse_dates=["event_timestamp"])
    pd.testing.assert_frame_equal(features.historical(frame, FEATURES).reset_index(drop=True),
                                  expected, check_dtype=False)


def test_historical_full_names_as_of_save_and_reproduce(features):
    spine = spine_frame()[["customer_id", "event_timestamp"]]
    df = features.historical(spine, ["customer_stats:spend_7d"], full_names=True)
    assert list(df.columns) == ["customer_id", "event_timestamp", "customer_stats__spend_7d"]
    # Nothing was known in 2020.
    old = features.historical(spine, ["customer_stats:spend_7d"], as_of="2020-01-01T00:00:00Z")
    assert old.spend_7d.isna().all()
    saved = features.historical(spine, ["customer_stats:spend_7d", "customer_stats:visits"],
                                save="dataset/py-train", message="for the test")
    assert saved.attrs["strata"]["dataset"] == "dataset/py-train@1"
    assert saved.attrs["strata"]["spine"] == "dataset/py-train-spine@1"
    assert features.reproduce("dataset/py-train@1")["identical"] is True
    again = features.historical("dataset/py-train-spine@1", ["customer_stats:spend_7d"])
    assert again.spend_7d.tolist()[:2] == [10.5, 3.0]
    assert str(again.event_timestamp.dtype) == "datetime64[ns, UTC]"
    assert str(again.customer_id.dtype) == "Int64"


def test_ingest_a_dataframe_and_push(features):
    now = pd.Timestamp.now(tz="UTC").floor("s")
    df = pd.DataFrame({"region": ["east", "west"],
                       "event_timestamp": [now - pd.Timedelta("1h"), now],
                       "population_k": pd.array([7, None], dtype="Int64")})
    r = features.ingest("region_stats", df, dataset="regions-py", message="from pandas")
    assert r["written"] == 2 and r["dataset"] == "dataset/regions-py@1"
    online = features.online(["region_stats:population_k"], {"region": ["east", "west"]})
    assert online.to_dict() == {"region": ["east", "west"], "population_k": [7, None]}
    assert online.statuses["population_k"] == ["PRESENT", "NULL_VALUE"]
    pushed = features.push("region_stats", pd.DataFrame({
        "region": ["east"], "event_timestamp": [now + pd.Timedelta("1s")],
        "population_k": [9]}))
    assert pushed == {"rows": 1, "to": "online"}
    assert features.online(["region_stats:population_k"],
                           {"region": ["east"]}).to_dict()["population_k"] == [9]
    with pytest.raises(ValueError):
        features.push("region_stats", df, to="nowhere")


def test_online_equals_the_http_route(features, server):
    now = pd.Timestamp.now(tz="UTC").floor("s")
    features.push("customer_stats", {"customer_id": [1, 2], "event_timestamp": [now, now],
                                     "spend_7d": [12.5, 3.0], "segment": ["gold", None],
                                     "visits": [4, 1], "active": [True, False],
                                     "last_seen": [now, now]})
    body = {"features": FEATURES, "entities": {"customer_id": [1, 2, 3]}}
    req = urllib.request.Request(server.url + "/get-online-features",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    expected = json.loads(urllib.request.urlopen(req).read())
    r = features.online(FEATURES, {"customer_id": np.array([1, 2, 3])})
    assert r.raw == expected
    d = r.to_dict()
    assert list(d) == expected["metadata"]["feature_names"]
    for name, result in zip(expected["metadata"]["feature_names"], expected["results"]):
        assert d[name] == result["values"]
        assert r.statuses[name] == result["statuses"]
    assert r.statuses["segment"] == ["PRESENT", "NULL_VALUE", "NOT_FOUND"]
    df = r.to_df()
    assert str(df.customer_id.dtype) == "Int64" and str(df.visits.dtype) == "Int64"
    assert str(df.active.dtype) == "boolean" and str(df.spend_7d.dtype) == "float64"
    assert str(df.last_seen.dtype) == "datetime64[ns, UTC]"
    assert df.spend_7d.tolist()[:2] == [12.5, 3.0] and np.isnan(df.spend_7d[2])
    assert df.last_seen[0] == now
    full = features.online(["customer_stats:spend_7d"], pd.DataFrame({"customer_id": [1]}),
                           full_names=True)
    assert list(full.to_dict()) == ["customer_id", "customer_stats__spend_7d"]


def test_online_json_and_protobuf_answers_agree(features, server, monkeypatch):
    import strata.client as sc
    now = pd.Timestamp.now(tz="UTC").floor("s") - pd.Timedelta("1us") * 250
    ids = list(range(100, 140))
    features.push("customer_stats", {
        "customer_id": ids, "event_timestamp": [now] * len(ids),
        "spend_7d": [i / 4 if i % 3 else None for i in ids],
        "segment": [f"s{i}" if i % 4 else None for i in ids],
        "visits": [-i * 10 ** 12 if i % 5 else None for i in ids],
        "active": [bool(i % 2) if i % 6 else None for i in ids],
        "last_seen": [now - pd.Timedelta(seconds=i) for i in ids]})
    entities = {"customer_id": ids + [999_999]}
    body = {"features": FEATURES, "entities": entities}
    req = urllib.request.Request(server.url + "/get-online-features",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    expected = json.loads(urllib.request.urlopen(req).read())
    answers = {}
    for threshold in (1, 10 ** 9):  # protobuf, then JSON
        monkeypatch.setattr(sc, "PROTOBUF_ENTITIES", threshold)
        answers[threshold] = features.online(FEATURES, entities)
    pb, js = answers[1], answers[10 ** 9]
    assert pb._columns is not None and js._columns is None
    assert pb.raw == expected == js.raw
    assert pb.to_dict() == js.to_dict()
    assert pb.statuses == js.statuses and pb.event_timestamps == js.event_timestamps
    assert pb.types == js.types == {"customer_id": "int64", "spend_7d": "double",
                                    "segment": "string", "visits": "int64",
                                    "active": "bool", "last_seen": "timestamp"}
    pd.testing.assert_frame_equal(pb.to_df(), js.to_df())
    assert pb.to_dict()["visits"][1] == -101 * 10 ** 12
    assert pb.event_timestamps["spend_7d"][0].endswith(".999750Z")

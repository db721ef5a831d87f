"""strata.feast.FeatureStore answers as Feast's SDK does for the same inputs."""

import pandas as pd
import pytest

from strata.feast import FeatureStore


@pytest.fixture(scope="module")
def store(server, features):
    s = FeatureStore(url=server.url)
    yield s
    s.close()


def test_get_historical_features_to_df(store):
    entity_df = pd.DataFrame({
        "customer_id": [2, 1],
        "event_timestamp": pd.to_datetime(["2024-01-03", "2024-01-04"], utc=True),
        "label": [0, 1],
    })
    df = store.get_historical_features(
        entity_df=entity_df,
        features=["customer_stats:spend_7d", "customer_stats:segment"]).to_df()
    # Feast: entity_df's columns, then the features by their names.
    assert list(df.columns) == ["customer_id", "event_timestamp", "label", "spend_7d", "segment"]
    assert df.spend_7d.tolist() == [3.0, 10.5]
    assert df.event_timestamp.dtype == entity_df.event_timestamp.dtype
    full = store.get_historical_features(entity_df, ["customer_stats:spend_7d"],
                                         full_feature_names=True).to_df()
    assert list(full.columns)[-1] == "customer_stats__spend_7d"
    # Feast takes the one datetime column as the event timestamp.
    other = entity_df.rename(columns={"event_timestamp": "ts"})
    df2 = store.get_historical_features(other, ["customer_stats:spend_7d"]).to_df()
    assert list(df2.columns) == ["customer_id", "ts", "label", "spend_7d"]
    assert df2.spend_7d.tolist() == [3.0, 10.5]
    with pytest.raises(TypeError):
        store.get_historical_features(entity_df, "customer_stats:spend_7d")


def test_get_online_features_to_dict(store):
    now = pd.Timestamp.now(tz="UTC").floor("s")
    store.client.push("customer_stats", {"customer_id": [7], "event_timestamp": [now],
                                         "spend_7d": [1.5], "segment": ["tin"]})
    r = store.get_online_features(
        features=["customer_stats:spend_7d", "customer_stats:segment"],
        entity_rows=[{"customer_id": 7}, {"customer_id": 999}])
    assert r.to_dict() == {"customer_id": [7, 999], "spend_7d": [1.5, None],
                           "segment": ["tin", None]}
    with_ts = r.to_dict(include_event_timestamps=True)
    assert list(with_ts) == ["customer_id", "spend_7d", "segment", "spend_7d__ts",
                             "segment__ts"]
    df = r.to_df()
    assert list(df.columns) == ["customer_id", "spend_7d", "segment"]
    assert df.spend_7d.iloc[0] == 1.5
    full = store.get_online_features(["customer_stats:spend_7d"], [{"customer_id": 7}],
                                     full_feature_names=True).to_dict()
    assert full == {"customer_id": [7], "customer_stats__spend_7d": [1.5]}
    with pytest.raises(ValueError):
        store.get_online_features(["customer_stats:spend_7d"], [])

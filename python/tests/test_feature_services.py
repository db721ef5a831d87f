"""Feature services from Python: wherever a feature list goes, and Feast's objects."""

import pandas as pd
import pytest

import strata
from strata.feast import FeatureService, FeatureStore

SERVICE = """feature_services:
  - name: churn_py
    description: what the churn model reads
    owner: growth
    tags: {stage: prod}
    features:
      - customer_stats:spend_7d
      - region_stats
"""
EXPANDED = ["customer_stats:spend_7d", "region_stats:population_k"]


@pytest.fixture(scope="module")
def service(features):
    applied = features.apply(SERVICE, message="churn service")
    assert applied == [{"name": "churn_py", "version": 1, "changed": True,
                        "kind": "featureservice"}]
    return features


def spine() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [1, 2, 3],
        "region": ["north", "south", "west"],
        "event_timestamp": pd.to_datetime(
            ["2024-01-04", "2024-01-03", "2024-01-05"], utc=True),
        "label": [1, 0, 1],
    }, index=[10, 11, 12])


def test_a_service_reads_back_with_its_expanded_features(service):
    info = service.feature_service("churn_py")
    assert (info.name, info.version, info.features) == ("churn_py", 1, EXPANDED)
    assert info.ref == "featureservice/churn_py@1"
    assert (info.description, info.owner, info.tags) == (
        "what the churn model reads", "growth", {"stage": "prod"})
    assert service.feature_service("featureservice/churn_py@1") == info
    assert "churn_py" in [s.name for s in service.feature_services()]


def test_historical_by_service_equals_the_expanded_list(service):
    by_service = service.historical(spine(), "featureservice/churn_py")
    by_list = service.historical(spine(), EXPANDED)
    pd.testing.assert_frame_equal(by_service, by_list)
    assert list(by_service.columns) == list(spine().columns) + ["spend_7d", "population_k"]
    assert by_service.spend_7d.tolist()[:2] == [10.5, 3.0]
    assert pd.isna(by_service.spend_7d.iloc[2])
    assert by_service.population_k.dtype == "Int64"
    assert by_service.population_k.tolist()[:2] == [120, 80]
    assert by_service.population_k.isna().tolist() == [False, False, True]
    # A feature named and in the service is taken once, where it first appears.
    mixed = service.historical(spine(), ["region_stats:population_k",
                                         "featureservice/churn_py"])
    assert list(mixed.columns)[-2:] == ["population_k", "spend_7d"]


def test_a_saved_training_set_has_the_service_version_as_an_input(service):
    df = service.historical(spine(), ["featureservice/churn_py@1"],
                            save="dataset/churn_py_train")
    saved = service.show(df.attrs["strata"]["dataset"])
    assert "featureservice/churn_py@1" in saved.inputs
    assert service.reproduce(saved.ref)["identical"] is True


@pytest.mark.parametrize("n", [1, 20])
def test_online_by_service_equals_the_expanded_list(service, n):
    ids = [1, 2, 3] * n
    regions = (["north", "south", "west"] * n)
    entities = {"customer_id": ids[:n], "region": regions[:n]}
    by_service = service.online(["featureservice/churn_py"], entities)
    by_list = service.online(EXPANDED, entities)
    assert by_service.to_dict() == by_list.to_dict()
    assert by_service.statuses == by_list.statuses
    assert by_service.types["population_k"] == "int64"
    pd.testing.assert_frame_equal(by_service.to_df(), by_list.to_df())
    # The newest spend_7d is older than the view's ttl; regions have none.
    assert by_service.statuses["spend_7d"][0] == "OUTSIDE_MAX_AGE"
    assert by_service.to_dict()["population_k"][0] == 120


def test_a_new_service_version_leaves_a_pinned_one_as_it_was(service):
    service.apply(SERVICE.replace("      - region_stats\n",
                                  "      - region_stats\n      - customer_stats:visits\n"))
    try:
        latest = service.feature_service("churn_py")
        assert (latest.version, latest.features[-1]) == (2, "customer_stats:visits")
        old = service.historical(spine(), ["featureservice/churn_py@1"])
        assert list(old.columns)[-2:] == ["spend_7d", "population_k"]
        new = service.historical(spine(), ["featureservice/churn_py"])
        assert list(new.columns)[-1] == "visits" and new.visits.dtype == "Int64"
    finally:
        service.apply(SERVICE)  # back to version 1's features, as version 3
    assert service.feature_service("churn_py").features == EXPANDED


def test_bad_service_references(service):
    with pytest.raises(strata.NotFound) as e:
        service.historical(spine(), ["featureservice/nope"])
    assert "featureservice/nope" in e.value.message
    with pytest.raises(strata.NotFound):
        service.online(["featureservice/nope"], {"customer_id": [1]})
    with pytest.raises(strata.NotFound):
        service.feature_service("churn_py@99")
    for bad in ("featureservice/", "featureservice/@1"):
        with pytest.raises(ValueError):
            service.online([bad], {"customer_id": [1]})


def test_feast_feature_service_objects(server, service):
    with FeatureStore(url=server.url) as store:
        svc = store.get_feature_service("churn_py")
        assert isinstance(svc, FeatureService) and svc.features == EXPANDED
        assert "churn_py" in [s.name for s in store.list_feature_services()]
        rows = [{"customer_id": 1, "region": "north"}, {"customer_id": 3, "region": "west"}]
        online = store.get_online_features(features=svc, entity_rows=rows).to_dict()
        assert online == {"customer_id": [1, 3], "region": ["north", "west"],
                          "spend_7d": [None, None], "population_k": [120, None]}
        job = store.get_historical_features(entity_df=spine(), features=svc)
        pd.testing.assert_frame_equal(job.to_df(), service.historical(spine(), EXPANDED))

        class FeastService:  # Feast's own FeatureService is taken by its name
            name = "churn_py"

        assert store.get_online_features(FeastService(), rows).to_dict() == online
        with pytest.raises(TypeError):
            store.get_online_features("featureservice/churn_py", rows)

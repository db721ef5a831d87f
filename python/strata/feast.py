"""Feast's SDK calls on strata: switch a Feast program with a few changed lines.

    # from feast import FeatureStore
    # store = FeatureStore(repo_path=".")
    from strata.feast import FeatureStore
    store = FeatureStore(url="http://127.0.0.1:8080")

    training_df = store.get_historical_features(entity_df=entity_df,
        features=["driver_hourly_stats:conv_rate"]).to_df()
    online = store.get_online_features(features=["driver_hourly_stats:conv_rate"],
        entity_rows=[{"driver_id": 1001}]).to_dict()

Features are a list of "view:feature" strings, or a feature service: one that
`store.get_feature_service(NAME)` returns, Feast's own FeatureService object (by its
name), or "featureservice/NAME[@REF]" entries in the list.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import pandas as pd

from . import client as _client

TIMESTAMP_POSTFIX = "__ts"  # Feast's suffix for event-timestamp columns


class RetrievalJob:
    """The result of get_historical_features, as Feast's RetrievalJob offers it.

    Example:
        >>> job = store.get_historical_features(entity_df, ["customer_stats:spend_7d"])
        >>> job.to_df().columns.tolist()
        ['customer_id', 'event_timestamp', 'spend_7d']
    """

    def __init__(self, run: Any) -> None:
        self._run = run
        self._df: Optional[pd.DataFrame] = None

    def to_df(self) -> pd.DataFrame:
        """The training set: entity_df's columns, then one column per feature.

        Example: `store.get_historical_features(df, ["v:f"]).to_df().columns[-1]` -> `'f'`.
        """
        if self._df is None:
            self._df = self._run()
        return self._df.copy()

    def to_arrow(self) -> Any:
        """As a pyarrow Table (needs pyarrow, which strata does not depend on).

        Example: `job.to_arrow().num_rows`.
        """
        import pyarrow  # noqa: PLC0415

        return pyarrow.Table.from_pandas(self.to_df())


class OnlineResponse:
    """The result of get_online_features, as Feast's OnlineResponse offers it.

    Example:
        >>> store.get_online_features(["customer_stats:spend_7d"],
        ...                           entity_rows=[{"customer_id": 1}]).to_dict()
        {'customer_id': [1], 'spend_7d': [21.0]}
    """

    def __init__(self, response: _client.OnlineResponse) -> None:
        self._r = response

    def to_dict(self, include_event_timestamps: bool = False) -> Dict[str, List[Any]]:
        """Column name -> values; with include_event_timestamps also NAME__ts columns.

        Example: `r.to_dict(include_event_timestamps=True)["spend_7d__ts"]`.
        """
        out = self._r.to_dict()
        if include_event_timestamps:
            for name in list(out):
                if name not in self._r._join_keys:
                    out[name + TIMESTAMP_POSTFIX] = list(self._r.event_timestamps[name])
        return out

    def to_df(self, include_event_timestamps: bool = False) -> pd.DataFrame:
        """The answer as a DataFrame, typed from the feature declarations.

        Example: `r.to_df().spend_7d.dtype` -> `dtype('float64')`.
        """
        df = self._r.to_df()
        if include_event_timestamps:
            for name in list(df.columns):
                if name not in self._r._join_keys:
                    df[name + TIMESTAMP_POSTFIX] = pd.to_datetime(
                        pd.Series(self._r.event_timestamps[name]), utc=True)
        return df

    @property
    def statuses(self) -> Dict[str, List[str]]:
        """Column name -> each value's status. Example: `r.statuses["spend_7d"]`."""
        return self._r.statuses


class FeatureService:
    """A feature service, as Feast's FeatureService names it: `name` and `features`.

    Example:
        >>> svc = store.get_feature_service("churn_model")
        >>> svc.name, svc.features
        ('churn_model', ['customer_stats:spend_7d', 'region_stats:population_k'])
    """

    def __init__(self, info: _client.FeatureServiceInfo) -> None:
        self.info = info
        self.name: str = info.name
        self.version: int = info.version
        self.features: List[str] = list(info.features)
        self.description: str = info.description
        self.owner: str = info.owner
        self.tags: Dict[str, str] = dict(info.tags)

    def __repr__(self) -> str:
        return f"FeatureService(name={self.name!r}, version={self.version})"


def _features_arg(features: Any) -> List[str]:
    """A feature list for strata: "view:feature" strings or a feature service.

    A FeatureService (ours, read at a version, or Feast's, which has a `name`) stands
    for its features as the server holds them; ours is pinned to its version.
    """
    if isinstance(features, FeatureService):
        return [features.info.ref]
    if isinstance(features, str):
        raise TypeError("features: give a list of 'view:feature' strings or a "
                        "FeatureService, not one string")
    name = getattr(features, "name", None)
    if isinstance(name, str) and not isinstance(features, Sequence):
        return [_client.SERVICE_PREFIX + name]
    if not isinstance(features, Sequence):
        raise TypeError("features: give a list of 'view:feature' strings or a "
                        "FeatureService")
    return list(features)


class FeatureStore:
    """Feast's FeatureStore, reading from a strata server.

    `url` defaults to `$STRATA_SERVER` (a local store without one, as strata.Client).

    Example:
        >>> store = FeatureStore(url="http://127.0.0.1:8080")
        >>> store.get_online_features(["customer_stats:segment"],
        ...                           entity_rows=[{"customer_id": 1}]).to_dict()
        {'customer_id': [1], 'segment': ['gold']}
    """

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None,
                 repo_path: Optional[str] = None, timeout: float = 60) -> None:
        self.client = _client.Client(url=url, token=token, timeout=timeout)

    def close(self) -> None:
        """Closes the client (and a local server it started). Example: `store.close()`."""
        self.client.close()

    def __enter__(self) -> "FeatureStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def get_feature_service(self, name: str) -> FeatureService:
        """The latest version of a feature service (or NAME@N), as Feast's call.

        Example:
            >>> store.get_feature_service("churn_model").features
            ['customer_stats:spend_7d', 'region_stats:population_k']
        """
        return FeatureService(self.client.feature_service(name))

    def list_feature_services(self) -> List[FeatureService]:
        """Every feature service, as Feast's call. Example:
        `[s.name for s in store.list_feature_services()]` -> `['churn_model']`."""
        return [FeatureService(i) for i in self.client.feature_services()]

    def get_historical_features(self, entity_df: Union[pd.DataFrame, str],
                                features: Union[Sequence[str], FeatureService, Any],
                                full_feature_names: bool = False) -> RetrievalJob:
        """A point-in-time join onto entity_df, as Feast's get_historical_features.

        entity_df holds the join keys and `event_timestamp` (or exactly one datetime
        column, which Feast then takes as the event timestamp). Example:
            >>> store.get_historical_features(entity_df=df,
            ...     features=["customer_stats:spend_7d"]).to_df()
        """
        features = _features_arg(features)

        def run() -> pd.DataFrame:
            if isinstance(entity_df, str):
                raise TypeError("entity_df as SQL is not supported: give a DataFrame")
            spine = entity_df
            ts = _event_timestamp_column(spine)
            if ts != "event_timestamp":
                spine = spine.rename(columns={ts: "event_timestamp"})
            df = self.client.historical(spine, features, full_names=full_feature_names)
            if ts != "event_timestamp":
                df = df.rename(columns={"event_timestamp": ts})
            return df

        return RetrievalJob(run)

    def get_online_features(self, features: Union[Sequence[str], FeatureService, Any],
                            entity_rows: Sequence[Mapping[str, Any]],
                            full_feature_names: bool = False) -> OnlineResponse:
        """The newest feature values for entity_rows, as Feast's get_online_features.

        Example:
            >>> store.get_online_features(features=["customer_stats:spend_7d"],
            ...     entity_rows=[{"customer_id": 1}, {"customer_id": 2}]).to_dict()
            {'customer_id': [1, 2], 'spend_7d': [21.0, 3.0]}
        """
        features = _features_arg(features)
        rows = list(entity_rows)
        if not rows:
            raise ValueError("entity_rows is empty")
        keys = list(rows[0])
        for i, row in enumerate(rows):
            if list(row) != keys and set(row) != set(keys):
                raise ValueError(f"entity_rows[{i}] has keys {sorted(row)}, "
                                 f"but entity_rows[0] has {sorted(keys)}")
        entities = {k: [row[k] for row in rows] for k in keys}
        r = self.client.online(features, entities, full_names=full_feature_names)
        return OnlineResponse(r)


def _event_timestamp_column(df: pd.DataFrame) -> str:
    if "event_timestamp" in df.columns:
        return "event_timestamp"
    dates = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c].dtype)]
    if len(dates) == 1:
        return dates[0]
    raise ValueError("entity_df needs an event_timestamp column (or exactly one "
                     "datetime column)")

"""strata: versioned artifacts and point-in-time features, from Python.

Example:
    >>> import strata
    >>> client = strata.Client()            # $STRATA_SERVER, or a local store
    >>> client.put("dataset/raw", "raw.csv").ref
    'dataset/raw@1'
"""

from .client import Client, FeatureServiceInfo, FeatureViewInfo, OnlineResponse, Run, Version
from .errors import (AlreadyExists, Error, FailedPrecondition, InvalidArgument, NotFound,
                     PermissionDenied, Unauthenticated, Unavailable)

__all__ = [
    "Client", "Version", "Run", "OnlineResponse", "FeatureViewInfo", "FeatureServiceInfo",
    "Error", "NotFound", "InvalidArgument", "FailedPrecondition", "AlreadyExists",
    "PermissionDenied", "Unauthenticated", "Unavailable",
]
__version__ = "0.1.0"

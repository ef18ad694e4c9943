"""The one owner of the DuckDB schema and of all SQL: `Store` is one file, with one module per aggregate
(data sets, labels and calls, slices, runs and fits, review, maps) and the page queries in one module."""
from __future__ import annotations

from core.errors import NotFound, StoreBusyError, StoreError
from core.paths import DEFAULT_DB
from core.store.database import MIGRATIONS, SCHEMA_VERSION
from core.store.datasets import DatasetInfo, DatasetTables
from core.store.labels import LabelTables
from core.store.maps import MapTables
from core.store.pages import PageLookups
from core.store.review import ReviewTables
from core.store.runs import RunTables
from core.store.slices import SliceTables
from core.store.views import ExampleFilter, PageQueries

__all__ = ["Store", "DatasetInfo", "ExampleFilter", "DEFAULT_DB", "MIGRATIONS", "SCHEMA_VERSION", "NotFound",
           "StoreError", "StoreBusyError"]


class Store(DatasetTables, LabelTables, SliceTables, RunTables, ReviewTables, MapTables, PageQueries, PageLookups):
    """A pseudolens DuckDB file with every aggregate's reads and writes."""

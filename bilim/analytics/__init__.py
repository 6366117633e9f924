"""Bilim analytics: the indicator engine over the columnar warehouse.

Pure Python over Ibis, independent of Django: the refresh job (Django side) fills the warehouse
(see :mod:`bilim.analytics.warehouse`), and pages, the API and the CLI call the functions below.
"""

from importlib import import_module
from typing import Any

# Names are imported on first use (PEP 562): Django imports this package when it loads the app, and
# importing Ibis and pandas eagerly cost every process (each CLI command, each gunicorn worker, each
# test subprocess) about six seconds of CPU before it did anything. `equity` and `parity` are also the
# names of submodules, so they are imported from those (`from bilim.analytics.parity import parity`).
_HOME = {
    "Catalogue": "catalogue", "CatalogueError": "catalogue", "Indicator": "catalogue", "Term": "catalogue",
    "load_catalogue": "catalogue",
    "CompositeSpec": "composite", "composite_from_warehouse": "composite", "composite_index": "composite",
    "rank_uncertainty": "composite",
    "compute": "engine", "explain": "engine", "reference_dates": "engine",
    "equity_measures": "equity", "org_values": "equity",
    "flow_table": "flow", "survival": "flow",
    "adjusted_parity": "parity", "parity_ratio": "parity",
    "closure_from_parents": "warehouse", "load_warehouse": "warehouse",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Catalogue",
    "CatalogueError",
    "CompositeSpec",
    "Indicator",
    "Term",
    "adjusted_parity",
    "closure_from_parents",
    "composite_from_warehouse",
    "composite_index",
    "compute",
    "equity_measures",
    "explain",
    "flow_table",
    "load_catalogue",
    "load_warehouse",
    "org_values",
    "parity_ratio",
    "rank_uncertainty",
    "reference_dates",
    "survival",
]

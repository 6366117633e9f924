"""Bilim analytics: the indicator engine over the columnar warehouse.

Pure Python over Ibis, independent of Django: the refresh job (Django side) fills the warehouse
(see :mod:`bilim.analytics.warehouse`), and pages, the API and the CLI call the functions below.
"""

from .catalogue import Catalogue, CatalogueError, Indicator, Term, load_catalogue
from .composite import CompositeSpec, composite_from_warehouse, composite_index, rank_uncertainty
from .engine import compute, explain, reference_dates
from .equity import equity, equity_measures, org_values
from .flow import flow_table, survival
from .parity import adjusted_parity, parity, parity_ratio
from .warehouse import closure_from_parents, load_warehouse

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
    "equity",
    "equity_measures",
    "explain",
    "flow_table",
    "load_catalogue",
    "load_warehouse",
    "org_values",
    "parity",
    "parity_ratio",
    "rank_uncertainty",
    "reference_dates",
    "survival",
]

"""One local Spark session for the tests that compare Spark with DuckDB (two cores, no UI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


def local_spark(warehouse_dir: Path, app: str) -> Iterator[object]:
    """Yield an Ibis PySpark backend on local[2]; stop the session afterwards (use from a fixture)."""
    pyspark = pytest.importorskip("pyspark")
    import ibis

    session = (
        pyspark.sql.SparkSession.builder.master("local[2]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.warehouse.dir", str(warehouse_dir))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield ibis.pyspark.connect(session)
    session.stop()

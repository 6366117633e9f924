"""Data exchange: one import service and the exports, in the layouts of catalog.md ("Data exchange").

    from bilim.exchange.services import import_file, export_values, export_orgunits
    report = import_file(path_or_stream, format=None, dry_run=False, actor="", progress=None)

Formats: data values CSV/XLSX, DHIS2 dataValueSets JSON (idScheme=code), ADX XML; org units CSV/XLSX.
Every import is all-or-nothing and reports every bad row with its line (or position) and reason.
"""

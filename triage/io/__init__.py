"""Reading datasets from files and writing released data and the report folder: the engine's
only file I/O.

One module per tabular format, each reading AND writing it, behind the suffix table in
:mod:`triage.io.formats` (imported lazily, as the transform registry does):

- ``formats``: the suffix table, :func:`~triage.io.formats.load_dataset` and
  :func:`~triage.io.formats.write_released`;
- ``csv`` (CSV, TSV, TXT), ``excel`` (one XLSX sheet; released workbooks), ``parquet``,
  ``json`` (JSON, NDJSON, GeoJSON points);
- ``geo``: GeoPackage, Shapefile, GeoJSON of any geometry and WKT columns;
- ``workbook``: an XLSX workbook read whole, every sheet and every other part accounted for;
- shared pieces: ``limits`` (what an input may cost, checked before and after it is read),
  ``sniff`` (encoding and CSV dialect), ``errors``, ``frames`` (string frames), ``nested``
  (nested values as leaf columns), ``writing`` (atomic, formula-escaped writes), ``names``
  (input names that may identify a person);
- ``outputs``: the output folder of a check, written whole or not at all.

Nothing here imports the pipeline, the report, the store or the interfaces.
"""

"""Tidy tables of records, written atomically as CSV and JSON.

A table is a list of dataclass records of one type. Files are written to a temporary file in the
target folder and moved into place with ``os.replace``, so a reader never sees half a file.
NaN is written as an empty CSV cell and as JSON ``null``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

from benchmark.fileio import write_text_atomic


def _rows(records: Sequence) -> list[dict]:
    return [r if isinstance(r, dict) else dataclasses.asdict(r) for r in records]


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def to_csv(records: Sequence) -> str:
    """CSV text of a table (header from the first record's fields)."""
    rows = _rows(records)
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if _clean(v) is None else v) for k, v in row.items()})
    return buf.getvalue()


def to_json(records: Sequence | dict) -> str:
    """JSON text of a table (a list of objects) or of one record (an object)."""
    if isinstance(records, dict) or dataclasses.is_dataclass(records):
        data = records if isinstance(records, dict) else dataclasses.asdict(records)
        return json.dumps({k: _clean(v) for k, v in data.items()}, indent=2) + "\n"
    rows = [{k: _clean(v) for k, v in row.items()} for row in _rows(records)]
    return json.dumps(rows, indent=1) + "\n"


def write_table(records: Sequence, out_dir: str | Path, name: str) -> list[Path]:
    """Write ``name.csv`` and ``name.json`` into ``out_dir``; return both paths."""
    out_dir = Path(out_dir)
    return [
        write_text_atomic(out_dir / f"{name}.csv", to_csv(records)),
        write_text_atomic(out_dir / f"{name}.json", to_json(records)),
    ]

"""Markdown table helpers."""

from __future__ import annotations

import numpy as np

from benchmark.metrics.uncertainty import PermutationResult
from benchmark.report.tables import (
    markdown_table,
    number,
    permutation_table,
    subset_names,
    subset_range,
    with_interval,
)


def test_numbers_and_intervals():
    assert number(0.12345) == "0.123"
    assert number(float("nan")) == "—"
    assert with_interval(0.5, 0.4, 0.6) == "0.500 (0.400–0.600)"
    assert with_interval(0.5, float("nan"), float("nan")) == "0.500"


def test_markdown_table_escapes_pipes_and_adds_note():
    text = markdown_table(["a", "b"], [["x|y", "1"]], "note")
    assert text.splitlines()[:3] == ["| a | b |", "| :--- | ---: |", "| x\\|y | 1 |"]
    assert text.endswith("\n*note*\n")


def test_subset_ranges_are_open_at_the_ends():
    edges = np.array([0.1, 0.2, 0.3, 0.4])
    assert [subset_range(edges, i) for i in range(3)] == ["< 0.2", "0.2–0.3", "≥ 0.3"]
    assert subset_names(3) == ["low", "middle", "high"]
    assert subset_names(2) == ["bin 1/2", "bin 2/2"]


def test_permutation_table_formats_small_p():
    result = PermutationResult(0.9, 0.7, 0.2, 1e-5, 99999)
    row = permutation_table(result, "low", "high").splitlines()[2]
    assert row == "| low vs high | 0.900 | 0.700 | 0.200 | 1.0e-05 | 99999 |"

"""Figure building blocks: overlays, image choice, zoom window, training log, PNG output."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from benchmark.plots import (
    mask_layer,
    overlay_rgb,
    plot_training_loss,
    read_training_metrics,
    representative_images,
    save_png,
    zoom_window,
)
from benchmark.plots.overlays import MaskLayer
from benchmark.plots.style import DPI, new_figure, site_style


def square_layer(shape, y0, x0, y1, x1) -> MaskLayer:
    crop = np.ones((y1 - y0, x1 - x0), dtype=bool)
    return mask_layer(shape, np.array([[y0, x0, y1, x1]]), [crop])


def test_overlay_colours_are_green_red_and_yellow():
    image = np.full((40, 40), 100, dtype=np.uint8)
    truth = square_layer((40, 40), 5, 5, 25, 25)
    pred = square_layer((40, 40), 15, 15, 35, 35)
    rgb = overlay_rgb(image, truth, pred).astype(int)
    assert rgb.shape == (40, 40, 3)
    assert tuple(rgb[5, 10]) == (0, 255, 0)  # ground-truth outline
    assert tuple(rgb[34, 30]) == (255, 0, 0)  # prediction outline
    r, g, b = rgb[10, 10]  # inside truth only
    assert g > r and g > b
    r, g, b = rgb[30, 30]  # inside prediction only
    assert r > g and r > b
    r, g, b = rgb[20, 20]  # overlap
    assert r == g and r > b
    assert tuple(rgb[0, 39]) == tuple(rgb[39, 0])  # background untouched grey


def test_mask_layer_outlines_each_instance():
    layer = mask_layer((10, 10), np.array([[0, 0, 4, 4]]), [np.ones((4, 4), dtype=bool)])
    assert layer.fill.sum() == 16
    assert layer.edges.sum() == 12  # inner outline of a 4x4 square


def test_representative_images_skip_undefined_scores():
    f1 = {"a": 0.9, "b": float("nan"), "c": 0.1, "d": 0.5, "e": 0.7, "f": 0.3}
    assert representative_images(f1) == [("best", "a"), ("median", "d"), ("worst", "c")]
    assert representative_images({"x": 0.3, "y": 0.6}) == [("best", "y"), ("worst", "x")]
    assert representative_images({"x": float("nan")}) == []


def test_zoom_window_finds_the_disagreement():
    truth = square_layer((100, 100), 70, 70, 80, 80)
    empty = MaskLayer(np.zeros((100, 100), bool), np.zeros((100, 100), bool))
    y0, x0, y1, x1 = zoom_window(truth, empty, 20)
    assert (y1 - y0, x1 - x0) == (20, 20)
    assert y0 <= 70 and y1 >= 80 and x0 <= 70 and x1 >= 80


def test_training_log_merges_repeated_iterations(tmp_path):
    path = tmp_path / "metrics.json"
    lines = [
        {"iteration": 9, "total_loss": 2.0, "loss_mask": 1.0, "lr": 0.01},
        {"iteration": 19, "total_loss": 1.0, "loss_mask": 0.5, "lr": 0.01},
        {"iteration": 19, "macroseg/f1@0.50": 0.4, "macroseg/f1@0.75": 0.2},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    records = read_training_metrics(path)
    assert [r["iteration"] for r in records] == [9, 19]
    assert records[1]["macroseg/f1@0.50"] == 0.4 and records[1]["total_loss"] == 1.0
    fig = plot_training_loss(records)
    assert fig.axes[1].get_title() == "Validation"
    fig = plot_training_loss(records[:1])
    assert fig.axes[1].get_title() == "Learning rate"


def test_training_log_errors_name_the_line(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('{"iteration": 1, "total_loss": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r"metrics\.json:2"):
        read_training_metrics(path)
    path.write_text('{"iteration": 1, "lr": 0.1}\n')
    with pytest.raises(ValueError, match="no losses"):
        plot_training_loss(read_training_metrics(path))


def test_png_is_written_atomically_at_twice_the_size(tmp_path):
    with site_style():
        fig = new_figure(width=4.0, height=2.0)
        fig.subplots().plot([0, 1], [0, 1])
    path = save_png(fig, tmp_path / "sub" / "line.png")
    with Image.open(path) as im:
        assert im.size == (4 * DPI, 2 * DPI)
    assert [p.name for p in path.parent.iterdir()] == ["line.png"]
    again = io.BytesIO(path.read_bytes())
    assert Image.open(again).format == "PNG"

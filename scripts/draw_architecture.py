"""Draw the Mask R-CNN architecture figure of the documentation from a real detectron2 config.

Every number on the figure (FPN levels and strides, anchor sizes and aspect ratios, RoIAlign
resolutions, head widths, mask size, proposal and detection counts) is read from the config, so
the figure cannot drift from what detectron2 builds. Usage::

    python scripts/draw_architecture.py                        # the model-zoo base of our recipe
    python scripts/draw_architecture.py --config path/to.yaml  # any detectron2 config file

Needs detectron2 (installed by ``make setup``); ``benchmark.compat`` makes the registry build
importable. The output is a deterministic SVG whose labels are SVG text, so the test suite can
check that the committed figure still shows what the config says.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

DEFAULT_CONFIG = "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.yaml"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs/assets/architecture/mask-rcnn.svg"

# Colours: one per stage, readable on the figure's white background.
INK = "#263238"
BACKBONE = "#cfe8fc"
FPN = "#d7f0dd"
RPN = "#fde7c8"
ROI = "#ead9f7"
HEADS = "#fbd3d3"
IMAGE = "#eceff1"


@dataclass(frozen=True)
class Architecture:
    """The numbers the figure shows, read from a detectron2 config."""

    config_name: str
    depth: int
    backbone_features: list[str]
    fpn_channels: int
    rpn_features: list[str]
    anchor_sizes: list[int]
    aspect_ratios: list[float]
    rpn_nms: float
    proposals_test: int
    roi_features: list[str]
    box_pooler: int
    box_fc: int
    box_fc_dim: int
    mask_pooler: int
    mask_conv: int
    mask_conv_dim: int
    num_classes: int
    detections_per_image: int


def load_architecture(config: str) -> Architecture:
    """Read the figure's numbers from a model-zoo config name or a config file path."""
    import benchmark.compat  # noqa: F401  (makes the registry build of detectron2 importable)

    from detectron2 import model_zoo
    from detectron2.config import get_cfg

    cfg = get_cfg()
    path = Path(config)
    cfg.merge_from_file(str(path) if path.is_file() else model_zoo.get_config_file(config))
    model: Any = cfg.MODEL
    sizes = [int(s) for level in model.ANCHOR_GENERATOR.SIZES for s in level]
    return Architecture(
        config_name=path.name if path.is_file() else config,
        depth=int(model.RESNETS.DEPTH),
        backbone_features=list(model.RESNETS.OUT_FEATURES),
        fpn_channels=int(model.FPN.OUT_CHANNELS),
        rpn_features=list(model.RPN.IN_FEATURES),
        anchor_sizes=sizes,
        aspect_ratios=[float(r) for r in model.ANCHOR_GENERATOR.ASPECT_RATIOS[0]],
        rpn_nms=float(model.RPN.NMS_THRESH),
        proposals_test=int(model.RPN.POST_NMS_TOPK_TEST),
        roi_features=list(model.ROI_HEADS.IN_FEATURES),
        box_pooler=int(model.ROI_BOX_HEAD.POOLER_RESOLUTION),
        box_fc=int(model.ROI_BOX_HEAD.NUM_FC),
        box_fc_dim=int(model.ROI_BOX_HEAD.FC_DIM),
        mask_pooler=int(model.ROI_MASK_HEAD.POOLER_RESOLUTION),
        mask_conv=int(model.ROI_MASK_HEAD.NUM_CONV),
        mask_conv_dim=int(model.ROI_MASK_HEAD.CONV_DIM),
        num_classes=int(model.ROI_HEADS.NUM_CLASSES),
        detections_per_image=int(cfg.TEST.DETECTIONS_PER_IMAGE),
    )


def stride(feature: str) -> int:
    """Stride of a ResNet (``res2``) or FPN (``p2``) feature map: 2 to the power of its level."""
    return 2 ** int(feature.lstrip("resp"))


def box(
    ax: plt.Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    colour: str,
    text: str = "",
    size: float = 9.5,
    weight: str = "normal",
) -> None:
    """A rounded box with centred text."""
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=colour,
            edgecolor=INK,
            linewidth=0.9,
        )
    )
    if text:
        ax.text(
            x + w / 2,
            y + h / 2,
            text,
            ha="center",
            va="center",
            fontsize=size,
            color=INK,
            weight=weight,
            linespacing=1.35,
        )


def arrow(ax: plt.Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A straight arrow between two points."""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=9,
            linewidth=0.9,
            color=INK,
            shrinkA=1,
            shrinkB=1,
        )
    )


def badge(ax: plt.Axes, x: float, y: float, number: int) -> None:
    """The numbered circle that links a block of the figure to the page's explanation."""
    ax.add_patch(plt.Circle((x, y), 0.16, facecolor=INK, edgecolor="none", zorder=5))
    ax.text(
        x,
        y,
        str(number),
        ha="center",
        va="center",
        fontsize=9,
        color="white",
        weight="bold",
        zorder=6,
    )


def title(ax: plt.Axes, x: float, y: float, text: str, number: int) -> None:
    """A stage title from ``x`` on, after the number of its paragraph on the page."""
    badge(ax, x + 0.2, y, number)
    ax.text(x + 0.45, y, text, ha="left", va="center", fontsize=10.5, color=INK, weight="bold")


def draw(arch: Architecture) -> plt.Figure:
    """Draw the figure: one horizontal band per stage, top to bottom, sized for a page column."""
    fig, ax = plt.subplots(figsize=(8, 10.4))
    fig.patch.set_facecolor("white")
    ax.set_xlim(0, 8)
    ax.set_ylim(0, 10.4)
    ax.axis("off")
    width = 1.25
    centre = [0.95 + 1.5 * i for i in range(len(arch.rpn_features))]  # one column per level

    # 1 Input image.
    title(ax, 0.15, 10.1, "Input image", 1)
    box(ax, centre[0] - width / 2, 8.95, width, 0.7, IMAGE, "H × W image")

    # 2 Backbone: ResNet stages, each half the resolution of the one before.
    title(ax, 0.15, 8.55, f"ResNet-{arch.depth} backbone (bottom-up)", 2)
    res_top = 8.15
    for i, name in enumerate(arch.backbone_features):
        h = 0.85 - 0.1 * i
        box(
            ax,
            centre[i] - width / 2,
            res_top - h,
            width,
            h,
            BACKBONE,
            f"{name}\nstride {stride(name)}",
        )
        if i:
            arrow(
                ax,
                (centre[i - 1] + width / 2, res_top - 0.3),
                (centre[i] - width / 2, res_top - 0.3),
            )
    arrow(ax, (centre[0], 8.95), (centre[0], res_top))

    # 3 Feature pyramid: lateral 1x1 convs plus a top-down pathway; the last level is pooled.
    title(ax, 0.15, 6.75, f"Feature pyramid, {arch.fpn_channels} channels per level (top-down)", 3)
    fpn_top, fpn_h = 6.35, 0.75
    for i, name in enumerate(arch.rpn_features):
        box(
            ax,
            centre[i] - width / 2,
            fpn_top - fpn_h,
            width,
            fpn_h,
            FPN,
            f"{name}\nstride {stride(name)}",
        )
        if f"res{name[1:]}" in arch.backbone_features:
            h = 0.85 - 0.1 * arch.backbone_features.index(f"res{name[1:]}")
            arrow(ax, (centre[i], res_top - h), (centre[i], fpn_top))
    mid = fpn_top - fpn_h / 2
    for i, name in enumerate(arch.rpn_features[1:], start=1):
        if f"res{name[1:]}" in arch.backbone_features:  # upsampled into the level below
            arrow(ax, (centre[i] - width / 2, mid), (centre[i - 1] + width / 2, mid))
        else:  # no backbone stage of its own: max-pooled from the level below
            arrow(ax, (centre[i - 1] + width / 2, mid), (centre[i] - width / 2, mid))
            ax.text(centre[i], fpn_top + 0.12, "max-pool", ha="center", fontsize=8.5, color=INK)

    # 4 Region proposal network: one anchor size per level, shared 3x3 conv head.
    title(ax, 0.15, 4.95, "Region proposal network", 4)
    rpn_top = 4.6
    box(ax, 0.2, rpn_top - 1.45, 7.6, 1.45, RPN)
    for i, size in enumerate(arch.anchor_sizes):
        arrow(ax, (centre[i], fpn_top - fpn_h), (centre[i], rpn_top))
        ax.text(
            centre[i],
            rpn_top - 0.3,
            f"anchors {size} px",
            ha="center",
            va="center",
            fontsize=9,
            color=INK,
        )
    ratios = ", ".join(f"{r:g}" for r in arch.aspect_ratios)
    ax.text(
        4.0,
        rpn_top - 0.95,
        f"3×3 conv → objectness + box deltas for {len(arch.aspect_ratios)} anchors per "
        f"position (aspect ratios {ratios})\n"
        f"NMS at IoU {arch.rpn_nms:g} → {arch.proposals_test} proposals per image (inference)",
        ha="center",
        va="center",
        fontsize=9,
        color=INK,
        linespacing=1.5,
    )

    # 5 RoIAlign and 6 heads: the box branch on the left, the mask branch on the right.
    left, right, branch_w = 0.2, 4.3, 3.5
    levels = f"{arch.roi_features[0]}–{arch.roi_features[-1]}"
    title(ax, 0.15, 2.95, "RoIAlign", 5)
    box(
        ax,
        left,
        1.9,
        branch_w,
        0.75,
        ROI,
        f"{arch.box_pooler} × {arch.box_pooler} per proposal\nfrom {levels}, level by box size",
        size=9,
    )
    box(
        ax,
        right,
        1.9,
        branch_w,
        0.75,
        ROI,
        f"{arch.mask_pooler} × {arch.mask_pooler} per detection\nfrom {levels}, level by box size",
        size=9,
    )
    arrow(ax, (left + branch_w / 2, rpn_top - 1.45), (left + branch_w / 2, 2.65))

    title(ax, 0.15, 1.6, "Heads", 6)
    box(
        ax,
        left,
        0.35,
        branch_w,
        0.95,
        HEADS,
        f"box head: {arch.box_fc} FC × {arch.box_fc_dim}\n→ K + 1 class scores, box deltas",
        size=9,
    )
    box(
        ax,
        right,
        0.35,
        branch_w,
        0.95,
        HEADS,
        f"mask head: {arch.mask_conv} conv 3×3 × {arch.mask_conv_dim}, 2× deconv\n"
        f"→ {2 * arch.mask_pooler} × {2 * arch.mask_pooler} mask per class",
        size=9,
    )
    arrow(ax, (left + branch_w / 2, 1.9), (left + branch_w / 2, 1.3))
    arrow(ax, (right + branch_w / 2, 1.9), (right + branch_w / 2, 1.3))
    arrow(ax, (left + branch_w, 0.82), (right + 0.5, 1.9))
    ax.text(4.3, 1.6, "detections after NMS", ha="right", va="center", fontsize=8.5, color=INK)

    fig.text(
        0.5,
        0.012,
        f"Output: ≤ {arch.detections_per_image} instances per image (class, score, box, "
        "mask pasted at full resolution).\n"
        f"Numbers read from detectron2 config {arch.config_name};\n"
        f"K = {arch.num_classes} classes there, macroseg sets K for its own classes.",
        ha="center",
        fontsize=8.5,
        color="#546e7a",
        linespacing=1.5,
    )
    fig.subplots_adjust(left=0.005, right=0.995, top=0.995, bottom=0.075)
    return fig


def save(arch: Architecture, out: Path) -> None:
    """Draw the figure and write it as a deterministic SVG with text labels."""
    with plt.rc_context(
        {
            "svg.hashsalt": "macroseg-architecture",
            "svg.fonttype": "none",  # labels stay text: searchable, accessible, testable
            "font.family": ["DejaVu Sans", "sans-serif"],
        }
    ):
        figure = draw(arch)
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out, format="svg", metadata={"Date": None})
    plt.close(figure)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        help="model-zoo config name or path to a detectron2 YAML config",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output SVG path")
    args = parser.parse_args()
    save(load_architecture(args.config), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

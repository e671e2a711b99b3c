"""Datasets: the synthetic macrophage generator, importers, validation, splits, registration.

Importing this package is cheap and never imports torch or detectron2; submodules import their
heavier dependencies (pycocotools, scikit-image, roifile) and detectron2 only when used.

Main entry points:

* :func:`benchmark.data.generate.default_dataset` — the cached embedded default dataset;
* :func:`benchmark.data.generate.generate_dataset` — any synthetic dataset from a seed;
* :func:`benchmark.data.coco.load_coco` — read, validate and normalise a COCO file;
* :mod:`benchmark.data.importers` — label images and ImageJ ROI sets into COCO;
* :func:`benchmark.data.labels.export_label_images` — COCO to label TIFFs;
* :mod:`benchmark.data.splits` — seeded k-fold and held-out splits by image;
* :func:`benchmark.data.catalog.register_coco` — detectron2 catalog registration.
"""

"""Mask R-CNN with detectron2: configs, training, checkpoints, inference, k-fold, launch.

Every module here imports :mod:`benchmark.compat` before detectron2.
"""

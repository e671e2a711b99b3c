# macroseg: every target sets itself up when needed.
#   make benchmark   set-up, then the main job on the embedded default data
#   make test        set-up, then ruff, the whole pytest suite and a strict docs build
#   make docs        set-up, then serve the site with live reload
#
# The virtual environment lives in .venv and is rebuilt only when pyproject.toml, the
# docs' npm lock file, the detectron2 install recipe or this Makefile change (a stamp file).
# Needs Python >= 3.10 and Node.js with npm (the site serves KaTeX and Mermaid itself).
# TORCH_INDEX_URL selects a wheel index for torch (CI: https://download.pytorch.org/whl/cpu).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.macroseg-installed
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
TORCH_INDEX_URL ?=
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: setup test lint pytest docs-build docs benchmark doctor clean

setup: $(STAMP)

$(STAMP): pyproject.toml package-lock.json benchmark/install_detectron2.py Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q "setuptools>=68,<81" wheel
	$(PIP) install -q $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL)) $(TORCH_SPEC)
	$(PIP) install -q -e ".[docs,dev]"
	$(BIN)/python benchmark/install_detectron2.py
	npm ci --ignore-scripts --no-audit --no-fund
	$(BIN)/macroseg doctor
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check .

pytest: $(STAMP)
	$(BIN)/python -m pytest

docs-build: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

test: lint pytest docs-build

benchmark: $(STAMP)
	$(BIN)/macroseg run --config scratch_cpu --out docs/assets/benchmark

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

doctor: $(STAMP)
	$(BIN)/macroseg doctor

clean:
	rm -rf $(VENV) build site .pytest_cache .ruff_cache

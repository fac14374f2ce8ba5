# Every target sets itself up: a fresh machine with Python 3.11 needs nothing else.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Demo size: small enough for a few minutes on 2 cores.
DEMO_RAW     ?= data/demo/raw
DEMO_CATALOG ?= data/catalog
DEMO_SYMBOLS ?= BTCUSDT
DEMO_START   ?= 2024-01-01
DEMO_DAYS    ?= 3
DEMO_SEED    ?= 7
# The run config's [catalog] and [period] match the demo market above.
DEMO_CONFIG  ?= configs/demo.toml

.PHONY: install demo test bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,ray]'
	$(PY) -m indicators.warmup
	touch $(STAMP)

install: $(STAMP)

# The warm-up compiles only what an edit of the kernels left cold (a no-op otherwise): the demo
# runs warm.
demo: $(STAMP)
	$(PY) -m indicators.warmup
	$(PY) -m etl synth --out $(DEMO_RAW) --symbols $(DEMO_SYMBOLS) --start $(DEMO_START) --days $(DEMO_DAYS) --seed $(DEMO_SEED)
	$(PY) -m etl ingest --raw $(DEMO_RAW) --catalog $(DEMO_CATALOG)
	$(PY) -m etl report --catalog $(DEMO_CATALOG)
	$(PY) run_backtest.py $(DEMO_CONFIG)

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) data/demo results reports bench/out
	rm -rf data/catalog

# OpenPSE — two commands set everything up on a fresh machine with Python 3.11:
#   make run    the API (SQLite), worker threads and the SUNAT sandbox, with a demo company
#   make test   every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test browser lint bench bench-escala docs clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Se necesita $(PYTHON) (Python 3.11+)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/openpse serve --demo

test: $(STAMP) browser
	$(VENV)/bin/pytest -q

# The portal's browser tests drive Debian's Chromium (Playwright without its own browsers);
# without it, or without root to install it, they skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
		    || (apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1)) \
		|| echo "chromium no disponible: las pruebas de navegador del portal se omitirán"; }

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts docs
	$(VENV)/bin/ruff format --check src tests bench scripts docs
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/run.py

bench-escala: $(STAMP)
	$(PY) bench/scale.py

docs: $(STAMP)
	$(PY) docs/generar_guia.py

clean:
	rm -rf $(VENV) .venv-bench-* .pytest_cache .mypy_cache .ruff_cache

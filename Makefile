# Everything installs itself into .venv on first use; nothing else needs to be on the machine
# but python3 (3.10+) and network access to PyPI.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080

.PHONY: help run test lint invoke gateway emulator bench clean

help:
	@echo "make run      - emulator (unless cloud credentials are set) + local gateway on 127.0.0.1:$(PORT)"
	@echo "make test     - lint + unit, integration and end-to-end tests"
	@echo "make invoke FN=list_tasks_http EVENT=events/apig_list_tasks.json - one handler, JSON on stdout"

# Install output goes to stderr so `make invoke` keeps stdout for the handler's JSON alone.
$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) >&2
	@$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt -c constraints.txt >&2
	@touch $(STAMP)

run: $(STAMP)
	@PORT=$(PORT) $(PY) -m local.run

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

invoke: $(STAMP)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<function folder> EVENT=<event file>" >&2; exit 2; }
	@$(PY) -m local.invoke $(FN) $(EVENT)

gateway: $(STAMP)
	@PORT=$(PORT) $(PY) -m local.gateway

emulator: $(STAMP)
	@$(PY) -m local.sms_emulator --port $${SMS_EMULATOR_PORT:-8090}

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist

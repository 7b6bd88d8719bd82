# Everything installs itself into .venv on first use; nothing else needs to be on the machine
# but python3 (3.10+) and network access to PyPI.
# Keeps stdout clean when make runs inside make (make's own "Entering directory" lines).
MAKEFLAGS += --no-print-directory
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080

.PHONY: help run test lint invoke gateway emulator bench clean validate package openapi deploy rollback versions \
	catalogs dashboard-link

help:
	@echo "make run      - emulator (unless cloud credentials are set) + local gateway on 127.0.0.1:$(PORT)"
	@echo "make test     - lint + unit, integration and end-to-end tests"
	@echo "make invoke FN=list_tasks_http EVENT=events/apig_list_tasks.json - one handler, JSON on stdout"
	@echo "make validate - template.yaml against template.schema.json, and every file it points to"
	@echo "make package  - FunctionGraph zips in dist/ (code per function + one dependency zip)"
	@echo "make openapi  - regenerate openapi.yaml (PROJECT_ID=... also writes dist/openapi-apig.yaml)"
	@echo "make deploy   - create/update functions, settings, alias and triggers (DRY_RUN=1: plan only;"
	@echo "               REPLACE_APIS=1: go ahead where an API Gateway trigger can only be replaced)"
	@echo "make rollback FN=list_tasks_http [VERSION=v...] - point the alias at the previous version"

# Install output goes to stderr so `make invoke` keeps stdout for the handler's JSON alone.
$(STAMP): requirements.txt requirements-dev.txt requirements-deploy.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) >&2
	@$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt -c constraints.txt >&2
	@touch $(STAMP)

# Translation catalogs: .po sources compiled into the .mo files the functions read (project/catalogs.py).
CATALOG_PO := $(wildcard shared/i18n/locale/*/LC_MESSAGES/messages.po)
CATALOG_MO := $(CATALOG_PO:.po=.mo)
catalogs: $(CATALOG_MO)
%.mo: %.po $(STAMP)
	@$(PY) -m project.catalogs

# One signed dashboard URL for the local gateway on stdout, nothing else (TTL=<seconds>, LINK_PATH=<path>,
# LINK_FILTERS='enterprise_project_id=ep-2 state=FAILED' signed into it); NEW_SECRET=1 prints a fresh
# DASHBOARD_LINK_SECRET instead.
dashboard-link: $(STAMP) $(CATALOG_MO)
	@PORT=$(PORT) $(PY) -m local.dashboard_link $(if $(NEW_SECRET),--new-secret) $(if $(TTL),--ttl $(TTL)) \
		$(if $(LINK_PATH),--path '$(LINK_PATH)') $(foreach f,$(LINK_FILTERS),--filter '$(f)')

run: $(STAMP) $(CATALOG_MO)
	@PORT=$(PORT) $(PY) -m local.run

test: $(STAMP) $(CATALOG_MO)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

invoke: $(STAMP) $(CATALOG_MO)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<function folder> EVENT=<event file>" >&2; exit 2; }
	@$(PY) -m local.invoke $(FN) $(EVENT)

gateway: $(STAMP) $(CATALOG_MO)
	@PORT=$(PORT) $(PY) -m local.gateway

emulator: $(STAMP)
	@$(PY) -m local.sms_emulator --port $${SMS_EMULATOR_PORT:-8090}

# Speed and size against naive/raw baselines on loopback (docs/performance.md); BENCH_STRICT=1 fails on a MISS.
bench: $(STAMP) $(CATALOG_MO)
	$(PY) -m bench

validate: $(STAMP)
	@$(PY) -m deploy.validate

package: $(STAMP) $(CATALOG_MO) validate
	@$(PY) -m deploy.package

openapi: $(STAMP)
	@$(PY) -m deploy.openapi
	@if [ -n "$(PROJECT_ID)" ]; then $(PY) -m deploy.openapi --project-id "$(PROJECT_ID)" --out dist/openapi-apig.yaml; fi

# DRY_RUN=1 prints the planned calls and changes nothing; REPLACE_APIS=1 lets deploy delete and recreate an
# API Gateway trigger it cannot update (announced first). Both are read by deploy/deploy.py.
deploy: $(STAMP) package
	@$(PY) -m deploy.deploy apply $(FN)

rollback: $(STAMP)
	@test -n "$(FN)" || { echo "usage: make rollback FN=<function> [VERSION=<version>]" >&2; exit 2; }
	@$(PY) -m deploy.deploy rollback $(FN) $(if $(VERSION),--to $(VERSION))

versions: $(STAMP)
	@test -n "$(FN)" || { echo "usage: make versions FN=<function>" >&2; exit 2; }
	@$(PY) -m deploy.deploy versions $(FN)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist

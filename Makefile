# Everything installs itself into .venv on first use; nothing else needs to be on the machine
# but python3 (3.10+) and network access to PyPI. `make run` installs only what the functions and
# the local tools need (requirements-local.txt); `make test` and the deploy targets add the rest
# (requirements-dev.txt). local/install.py does both, with a pinned uv, falling back to pip.
# Keeps stdout clean when make runs inside make (make's own "Entering directory" lines).
MAKEFLAGS += --no-print-directory
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
# Ports of the local listeners: local/ports.py is the one place they are defined and documented.

.PHONY: help run test lint typecheck invoke gateway emulator sink bench clean validate package openapi deploy \
	rollback versions catalogs dashboard-link readme-figures

# `make help` lists every target that has a "## " comment (tests/unit/test_makefile.py checks every
# .PHONY target has one), so the list cannot drift from the Makefile.
help: ## this list
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-zA-Z_-]+:[^=]*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Install output goes to stderr so `make invoke` keeps stdout for the handler's JSON alone.
$(RUN_STAMP): requirements.txt requirements-local.txt constraints.txt local/install.py
	@$(PYTHON) local/install.py requirements-local.txt
	@touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) requirements-dev.txt requirements-deploy.txt
	@$(PYTHON) local/install.py requirements-dev.txt
	@touch $(STAMP)

# openYuanrong's FaaS executor, the independent runtime tests/runtime/ runs every packaged function
# through (test-only). openyuanrong-sdk needs CPython 3.12 (FunctionGraph's Python3.12 runtime too):
# a working python3.12 on PATH, else pyenv's (a pyenv shim of another version is skipped).
YR_VENV := .venv-yr
YR_STAMP := $(YR_VENV)/.installed
YR_PYTHON ?= $(shell for p in $$(command -v python3.12) $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { echo "$$p"; break; }; done)
$(YR_STAMP): requirements-yr.txt constraints-yr.txt
	@test -n "$(YR_PYTHON)" || { echo "Python 3.12 is needed for openYuanrong's executor (set YR_PYTHON=/path/to/python3.12)" >&2; exit 2; }
	@test -x $(YR_VENV)/bin/python || $(YR_PYTHON) -m venv $(YR_VENV) >&2
	@$(YR_VENV)/bin/python -m pip install --disable-pip-version-check -q -r requirements-yr.txt -c constraints-yr.txt >&2
	@touch $(YR_STAMP)

# Translation catalogs: .po sources compiled into the .mo files the functions read (project/catalogs.py).
CATALOG_PO := $(wildcard shared/i18n/locale/*/LC_MESSAGES/messages.po)
CATALOG_MO := $(CATALOG_PO:.po=.mo)
catalogs: $(CATALOG_MO) ## compile the translation catalogs (.po -> .mo)
%.mo: %.po $(RUN_STAMP)
	@$(PY) -m project.catalogs

# One signed dashboard URL for the local gateway on stdout, nothing else (TTL=<seconds>, LINK_PATH=<path>,
# LINK_FILTERS='enterprise_project_id=ep-2 state=FAILED' signed into it); NEW_SECRET=1 prints a fresh
# DASHBOARD_LINK_SECRET instead.
dashboard-link: $(RUN_STAMP) $(CATALOG_MO) ## one signed URL on stdout [TTL=3600] [LINK_PATH=/dashboard/tasks.csv] [LINK_FILTERS='k=v ...'] [NEW_SECRET=1]
	@$(PY) -m local.dashboard_link $(if $(NEW_SECRET),--new-secret) $(if $(TTL),--ttl $(TTL)) \
		$(if $(LINK_PATH),--path '$(LINK_PATH)') $(foreach f,$(LINK_FILTERS),--filter '$(f)')

run: $(RUN_STAMP) $(CATALOG_MO) ## SMS emulator (unless cloud credentials are set) + local gateway + webhook sink + timers
	@$(PY) -m local.run

test: $(STAMP) $(CATALOG_MO) $(YR_STAMP) ## ruff + mypy + unit, integration, end-to-end and runtime tests (installs the rest first)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

lint: $(STAMP) ## ruff only
	$(PY) -m ruff check .

typecheck: $(STAMP) ## mypy over shared/, functions/, deploy/ and local/ ([tool.mypy] in pyproject.toml)
	$(PY) -m mypy

invoke: $(RUN_STAMP) $(CATALOG_MO) ## one handler, its JSON alone on stdout: FN=list_tasks_http EVENT=events/apig_list_tasks.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<function folder> EVENT=<event file>" >&2; exit 2; }
	@$(PY) -m local.invoke $(FN) $(EVENT)

gateway: $(RUN_STAMP) $(CATALOG_MO) ## the local API Gateway alone (with an embedded emulator unless credentials are set)
	@$(PY) -m local.gateway

emulator: $(RUN_STAMP) ## the SMS emulator alone (SMS_EMULATOR_PORT)
	@$(PY) -m local.sms_emulator

sink: $(RUN_STAMP) ## the webhook sink alone, with its chat preview page (WEBHOOK_SINK_PORT)
	@$(PY) -m local.webhook_sink

# Speed and size against naive/raw baselines on loopback (docs/performance.md); BENCH_STRICT=1 fails on a MISS.
bench: $(STAMP) $(CATALOG_MO) ## speed and memory targets (docs/performance.md); BENCH_STRICT=1 fails on a MISS
	$(PY) -m bench

validate: $(STAMP) ## template.yaml against template.schema.json, and every file it points to
	@$(PY) -m deploy.validate

package: $(STAMP) $(CATALOG_MO) validate ## FunctionGraph zips in dist/ (code per function + one dependency zip)
	@$(PY) -m deploy.package

readme-figures: package ## rewrite the package sizes README quotes from the fresh build (deploy/readme_figures.py)
	@$(PY) -m deploy.readme_figures

openapi: $(STAMP) ## regenerate openapi.yaml (PROJECT_ID=... also writes dist/openapi-apig.yaml)
	@$(PY) -m deploy.openapi
	@if [ -n "$(PROJECT_ID)" ]; then $(PY) -m deploy.openapi --project-id "$(PROJECT_ID)" --out dist/openapi-apig.yaml; fi

# DRY_RUN=1 prints the planned calls and changes nothing; REPLACE_APIS=1 lets deploy delete and recreate an
# API Gateway trigger it cannot update (announced first). Both are read by deploy/deploy.py.
deploy: $(STAMP) package ## create/update functions, settings, alias and triggers (DRY_RUN=1: plan only; REPLACE_APIS=1: replace an API Gateway trigger that cannot be updated)
	@$(PY) -m deploy.deploy apply $(FN)

rollback: $(STAMP) ## point the alias at the previous version: FN=list_tasks_http [VERSION=v...]
	@test -n "$(FN)" || { echo "usage: make rollback FN=<function> [VERSION=<version>]" >&2; exit 2; }
	@$(PY) -m deploy.deploy rollback $(FN) $(if $(VERSION),--to $(VERSION))

versions: $(STAMP) ## the published versions of one function: FN=list_tasks_http
	@test -n "$(FN)" || { echo "usage: make versions FN=<function>" >&2; exit 2; }
	@$(PY) -m deploy.deploy versions $(FN)

clean: ## remove .venv, .venv-yr, caches, build and dist
	rm -rf $(VENV) $(YR_VENV) .pytest_cache .ruff_cache build dist

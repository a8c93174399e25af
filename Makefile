# Every target creates the virtual environment on first use (and again when a
# requirements file changes), so a fresh clone needs only `make dev` or `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STACK  ?= dev
PORT   ?= 8000
# The Lambda package is built with the Python the functions run (stacks/settings.py LAMBDA_RUNTIME):
# binary wheels (pydantic-core, psycopg, cryptography) exist per Python version.
# (pyenv keeps it beside the default Python: PYENV_VERSION lets its shim find it.)
PACKAGE_PYTHON ?= $(shell PYENV_VERSION=3.13 python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3.13)
PACKAGE_VENV   := .venv-package

.PHONY: dev test bench load lint plan cost package clean reindex seed web

$(STAMP): requirements-dev.txt runtime/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 declares pip<26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The web client (web/): npm installs from the lockfile; its API types are generated from the API's own
# OpenAPI document; Vite builds web/dist, which `make dev` serves at / and the stack uploads.
WEB_NPM     := web/node_modules/.installed
WEB_SOURCES := $(shell find web/src web/public -type f ! -name schema.d.ts 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
RUNTIME_PY  := $(shell find runtime -name '*.py' 2>/dev/null)

$(WEB_NPM): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web/openapi.json: $(STAMP) $(RUNTIME_PY) tools/openapi.py
	$(BIN)/python -m tools.openapi $@
	touch $@

web/src/api/schema.d.ts: web/openapi.json $(WEB_NPM)
	cd web && npx --no-install openapi-typescript openapi.json -o src/api/schema.d.ts --silent

web/dist/index.html: $(WEB_NPM) web/src/api/schema.d.ts $(WEB_SOURCES)
	cd web && npm run --silent build

web: web/dist/index.html ## build the web client (web/dist)

.PHONY: web-types
web-types: web/src/api/schema.d.ts ## type-check the web client (strict) against the API's generated types
	cd web && npx --no-install tsc --noEmit

dev: $(STAMP) web ## run the whole platform locally on 127.0.0.1:$(PORT), the web client at /
	$(BIN)/python -m local --port $(PORT)

# make seed's sizes: USERS (shared with make load, whose default is its own) and POSTS.
SEED_USERS = $(if $(filter command line environment,$(origin USERS)),$(USERS),200)
POSTS ?= 2000
seed:           ## with make dev running on $(PORT): a social graph of USERS users and POSTS posts (local/seed.py)
	@curl -sS --fail-with-body -XPOST "http://127.0.0.1:$(PORT)/local/seed?users=$(SEED_USERS)&posts=$(POSTS)"; \
	status=$$?; echo; exit $$status

reindex:        ## rebuild the local search index from the tables (with make dev running on $(PORT))
	@curl -sS --fail-with-body -XPOST http://127.0.0.1:$(PORT)/local/search/reindex; status=$$?; echo; exit $$status

test: $(STAMP) web  ## every test: unit, contract, infrastructure (Pulumi mocks), end to end, the web client in Chromium (tests/web); files spread over the cores
	$(BIN)/python -m pytest -n auto --dist loadfile

bench: $(STAMP) web ## benchmarks; they print their figures (the web client's among them: built first)
	$(BIN)/python -m benchmarks

DURATION ?= 60
USERS    ?= 50
HOST     ?=
load: $(STAMP) ## DURATION seconds of USERS simulated users (Locust) on a local platform of its own, or on HOST; fails on any 5xx
	$(BIN)/python -m benchmarks.load --duration $(DURATION) --users $(USERS) $(if $(HOST),--host $(HOST))

lint: $(STAMP) web-types ## ruff and mypy (strict), and the web client's TypeScript (web-types)
	$(BIN)/ruff check .
	$(BIN)/mypy runtime/app.py runtime/chalicelib stacks tools local benchmarks tests policy __main__.py

plan: $(STAMP)  ## offline table of every resource of STACK (dev, prod, preview-*)
	$(BIN)/python -m tools.plan --stack $(STACK)

cost: $(STAMP)  ## offline monthly cost of STACK, idle and at the seeds' launch load (tools/prices.toml)
	$(BIN)/python -m tools.cost --stack $(STACK)

.PHONY: invalidate
invalidate: $(STAMP) ## after `pulumi up -s STACK`: CloudFront drops its copies of the web client's index.html and the like
	$(BIN)/python -m tools.invalidate --distribution-id "$$(pulumi stack output webDistributionId -s $(STACK))"

$(PACKAGE_VENV)/.installed: runtime/requirements.txt requirements-dev.txt
	test -x $(PACKAGE_VENV)/bin/python || $(PACKAGE_PYTHON) -m venv $(PACKAGE_VENV)
	$(PACKAGE_VENV)/bin/python -m pip install --quiet --upgrade "pip<26.3"
	$(PACKAGE_VENV)/bin/python -m pip install --quiet -r runtime/requirements.txt $$(grep '^chalice==' requirements-dev.txt)
	touch $@

package: $(STAMP) $(PACKAGE_VENV)/.installed ## the Lambda archive (chalice package) that `pulumi up` deploys
	# chalice only needs a region to render its (unused) terraform; the zip is what Pulumi deploys. It selects the
	# manylinux wheels of runtime/.chalice/config.json's lambda_architecture (arm64: aarch64, whatever this machine
	# is), and only warns when a dependency has none: that warning fails the build (the zip would lack it).
	rm -rf build/chalice && mkdir -p build
	cd runtime && AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} ../$(PACKAGE_VENV)/bin/chalice package --pkg-format terraform ../build/chalice > ../build/chalice-package.log 2>&1; status=$$?; cat ../build/chalice-package.log; exit $$status
	! grep -A3 "Could not install dependencies" build/chalice-package.log
	$(BIN)/python -m stacks.package build/chalice/deployment.zip --python $(PACKAGE_VENV)/bin/python

clean:
	rm -rf $(VENV) $(PACKAGE_VENV) build .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist web/openapi.json web/src/api/schema.d.ts

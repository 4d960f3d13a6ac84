# The two-command quick start: `make synth`, then `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
# checkov pins an old boto3: it gets its own environment, never the project's
CHECKOV_VENV := .venv-checkov
CHECKOV_INSTALLED := $(CHECKOV_VENV)/.installed

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1
# byte code and pytest's rewritten test modules are cached between runs (assets exclude both)
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install checkov-install synth synth-prod test lint typecheck unit dist-check integ-local \
	integ snapshots bench compliance-report cost docs dist clean

install: $(INSTALLED) $(NODE_INSTALLED)

# _version.py holds __version__: the installed metadata must follow it
$(INSTALLED): pyproject.toml requirements/constraints.txt modern_app_constructs/_version.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check \
		-c requirements/constraints.txt -e '.[dev,compliance]'
	touch $@

## checkov-install: checkov in its own environment (.venv-checkov), exact versions
checkov-install: $(CHECKOV_INSTALLED)

$(CHECKOV_INSTALLED): requirements/checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		--requirement requirements/checkov.txt
	# checkov's JSONPath parser regenerates its tables for every expression unless they exist
	$(CHECKOV_VENV)/bin/python scripts/checkov_parse_tables.py
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## synth: install everything, synthesize the sample app into cdk.out/, list its stacks
synth: install
	npx cdk synth --quiet --output cdk.out $(CDK_ARGS)
	$(PY) scripts/stack_summary.py cdk.out

## synth-prod: the same in the prod profile
synth-prod: CDK_ARGS = -c profile=prod
synth-prod: synth

## test: ruff, mypy, the whole pytest suite, the wheel installed and used outside the repo, and
## the emulator tests (integ-local)
test: lint typecheck unit dist-check integ-local

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(INSTALLED)
	$(PY) -m mypy
	# each Lambda asset on its own: handlers import their siblings by asset-root names
	MYPYPATH=sample_app/functions/orders $(PY) -m mypy --explicit-package-bases sample_app/functions/orders/*.py
	$(PY) -m mypy sample_app/functions/fulfilment/*.py

# the unit suite on every core (tests/conftest.py groups the tests: the sample's per profile, the
# rest per module); PYTEST_WORKERS=0 runs it in one process
PYTEST_WORKERS ?= auto
unit: $(INSTALLED) $(CHECKOV_INSTALLED) $(NODE_INSTALLED)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

## dist-check: build the wheel, install it into a fresh venv, synthesize an app outside the repo
dist-check: $(INSTALLED) $(NODE_INSTALLED)
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

## integ-local: deploy the constructs to a local AWS emulator (LocalStack, no Docker) and exercise them
integ-local: $(INSTALLED)
	$(PY) scripts/emulator.py install
	$(PY) -m pytest -m emulator tests/local $(PYTEST_ARGS)

## integ: deploy every integ app (tests/integ) to the caller's AWS account, assert, destroy
integ: install
	$(PY) scripts/integ.py $(INTEG)

## snapshots: re-record every snapshot on purpose, then read `git diff`
snapshots: $(INSTALLED) $(CHECKOV_INSTALLED) $(NODE_INSTALLED)
	$(PY) -m pytest --snapshot-update $(PYTEST_ARGS)

## compliance-report: NIST 800-53 R5, HIPAA, PCI DSS 3.2.1, Control Tower rules, checkov and
## cdk-nag Serverless over the sample (both profiles), report-only -> docs/compliance.md
compliance-report: $(INSTALLED) $(CHECKOV_INSTALLED)
	@mkdir -p cdk.out
	$(PY) -m scripts.compliance_report \
		--json cdk.out/compliance-findings.json $(REPORT_ARGS) 2> cdk.out/compliance-report.log \
		|| { tail -n 40 cdk.out/compliance-report.log; exit 1; }

## cost: the sample's idle cost per profile and per million requests, priced by
## `python -m modern_app_constructs cost` -> docs/cost.md, docs/operations.md and README.md
cost: $(INSTALLED)
	$(PY) -m scripts.cost_doc

## bench: synth and test-suite timings, code-size comparison -> benchmarks/results/
bench: $(INSTALLED)
	$(PY) -m benchmarks.bench $(BENCH_ARGS)

## docs: regenerate docs/API.md from the signatures and docstrings
docs: $(INSTALLED)
	$(PY) -m scripts.gen_api_docs

## dist: build the sdist and the wheel into dist/ (PyPA build, the pinned setuptools, offline)
dist: $(INSTALLED)
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .

clean:
	rm -rf cdk.out dist build .mypy_cache .ruff_cache
	find . -name __pycache__ -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +

# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo
export RAY_USAGE_STATS_ENABLED := 0

.PHONY: demo test install lint format clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	# every model the built-in policies name loads once (fills the regex cache, see README Speed)
	$(BIN)/python -c "from redact.detect.engine import preload; preload(['policies/default.yaml', 'policies/demo.yaml'])"
	touch $@

install: $(VENV)/.installed

# Debian's chromium for the dashboard's browser tests (Playwright's own download does not work offline).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium could not be installed: browser tests will be skipped"

demo: install
	@mkdir -p $(DEMO)
	$(BIN)/redact demo-data --n 2000 --out $(DEMO)/conversations.jsonl
	rm -rf $(DEMO)/run
	$(BIN)/redact run --input $(DEMO)/conversations.jsonl --output $(DEMO)/run --policy policies/demo.yaml --operator demo-operator
	$(BIN)/redact sample --run $(DEMO)/run --policy policies/demo.yaml --actor demo-operator
	@echo "== release gate (fails until a reviewer has judged the sample and signed off) =="
	-$(BIN)/redact gate --run $(DEMO)/run --policy policies/demo.yaml --junit $(DEMO)/gate.xml --markdown $(DEMO)/gate.md
	@echo
	@echo "Next: review and sign off (README: Review and release), re-run the gate, then release:"
	@echo "  $(BIN)/redact release --run $(DEMO)/run --policy policies/demo.yaml --out $(DEMO)/release"

test: install browser
	$(BIN)/python -m pytest -q tests

lint: install
	$(BIN)/ruff check redact audit policies tests
	$(BIN)/ruff format --check redact audit policies tests

format: install
	$(BIN)/ruff format redact audit policies tests
	$(BIN)/ruff check --fix redact audit policies tests

clean:
	rm -rf $(DEMO) .pytest_cache

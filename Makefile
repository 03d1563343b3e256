# Ombuds: `make run` starts the whole system, `make test` runs every test.
# Both install what is missing first (uv, then the locked dependencies into .venv).

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never
# Trust the machine's certificate store (where a TLS-inspecting proxy's CA lives), whatever
# the calling environment sets; both names, for older and newer uv.
export UV_SYSTEM_CERTS := 1
export UV_NATIVE_TLS := 1

.PHONY: help install browsers test-idp run test lint unit integration e2e bench clean

help:
	@echo "make run    - install, then start everything (Ctrl-C stops it)"
	@echo "make test   - install, then lint, type-check and run every test"
	@echo "make bench  - intake, audit, queue, referrals, retention and whole-system figures"
	@echo "make lint   - ruff, mypy and the import contracts only"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet 'uv>=0.13,<0.14'

install: $(UV)
	$(UV) sync --frozen

# The browser tests drive Debian's Chromium (never a browser Playwright downloads); the letter
# tests read PDFs back with poppler's pdftotext.
browsers:
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then apt-get update && apt-get install -y $$missing; fi

# The OIDC sign-in tests run a real OpenID provider (npm `oidc-provider`) on the machine's
# Node.js, installed from its lock file into tests/support/oidc_provider/node_modules.
test-idp:
	@command -v npm >/dev/null || { apt-get update && apt-get install -y nodejs npm; }
	@[ -d tests/support/oidc_provider/node_modules/oidc-provider ] || \
	  npm ci --no-audit --no-fund --prefix tests/support/oidc_provider

run: install
	$(UV) run --frozen python -m ombuds_devstack run

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy .
	$(UV) run --frozen lint-imports

unit: install
	$(UV) run --frozen pytest -m "not integration and not e2e"

test: lint browsers test-idp
	$(UV) run --frozen pytest

# Each part prints its own figures against the issue's target; run one alone with
# `uv run python -m bench.<part> --help` to see its knobs.
bench: install
	$(UV) run --frozen python -m bench.intake
	$(UV) run --frozen python -m bench.audit
	$(UV) run --frozen python -m bench.cases
	$(UV) run --frozen python -m bench.referrals
	$(UV) run --frozen python -m bench.retention
	$(UV) run --frozen python -m bench

clean:
	rm -rf .data .bench

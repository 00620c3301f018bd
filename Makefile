# make          set up (system packages, virtual environment) and build the book
# make test     run the tests (sets up first)
# make epub | pdf | check | check-tools | clean | setup
# make pdf PROFILE=kdp   a print profile (kdp, lulu, ingram, offset; default: book.yaml's, else proof)
# make serve | preview | site   the book's page on http://127.0.0.1:8000/, live, or as a static site
# make bench    benchmark 10k/100k/300k-word books against pandoc 3, Python-Markdown, WeasyPrint and
#               Typst, in rounds (BENCH_ARGS="--sizes 10000 --rounds 1" for a quick one; --against REV
#               to measure the code of another revision in the same rounds); writes build/bench.json

MANUSCRIPT ?= manuscript
OUT        ?= build
PYTHON     ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.installed
SLUG        = $(shell $(PY) -m pipeline slug $(MANUSCRIPT))

# Debian packages the build and the tests need: HarfBuzz's subsetter (WeasyPrint embeds font
# subsets with it), Pango, a Java runtime for epubcheck, poppler-utils (pdftoppm) for looking
# at pages, and libgs-common for the CMYK ICC profile (Ghostscript's SWOP profile) that PDF/X
# print profiles name as their output intent. The book face is no package: its four faces are
# kept in styles/fonts/eb-garamond/ (pinned by their bytes; see the README there).
SYSTEM_PACKAGES := libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 \
                   default-jre-headless poppler-utils python3-venv libgs-common
# Only `make test` and `make check` need these: a real browser (Playwright's web tests, and
# DAISY Ace) and a sans face for the web page's tests.
TEST_SYSTEM_PACKAGES := chromium fonts-dejavu-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# -- accessibility checker: DAISY Ace (pinned in .ci/ace/package-lock.json) on Debian's Chromium.
# Node.js 20 or newer and npm are needed; Puppeteer's own browser is never downloaded.
ACE_DIR := .ci/ace
ACE     := $(ACE_DIR)/node_modules/.installed

.PHONY: all setup system-packages test-system-packages check-tools book epub pdf check test bench clean \
        serve preview site bench-web bytecode

all: book

setup: $(STAMP) bytecode

# $(call install-missing,PACKAGES): apt-get install those of PACKAGES that are not installed
define install-missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

system-packages:
	$(call install-missing,$(SYSTEM_PACKAGES))

test-system-packages:
	$(call install-missing,$(TEST_SYSTEM_PACKAGES))

$(STAMP): pyproject.toml | system-packages
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

# An editable install leaves the package uncompiled, and with PYTHONDONTWRITEBYTECODE set
# (as on the machine this was measured on) every run would compile it again: about 0.3 s of a small rebuild.
# Python ignores a stale .pyc, so this is only ever a saving.
bytecode: $(STAMP)
	@$(PY) -m compileall -q pipeline

book: setup
	@$(PY) -m pipeline build $(MANUSCRIPT) -o $(OUT) $(if $(PROFILE),--profile $(PROFILE))

epub: setup
	@$(PY) -m pipeline build $(MANUSCRIPT) -o $(OUT) --only epub

pdf: setup
	@$(PY) -m pipeline build $(MANUSCRIPT) -o $(OUT) --only pdf $(if $(PROFILE),--profile $(PROFILE))

check-tools: $(ACE)

$(ACE): $(ACE_DIR)/package-lock.json | test-system-packages
	@command -v npm >/dev/null || { echo "installing system packages: nodejs npm"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' || { \
	  echo "DAISY Ace needs Node.js 20 or newer; this machine has $$(node --version)"; exit 1; }
	@cd $(ACE_DIR) && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

check: book check-tools
	@$(PY) -m pipeline.check.validate $(OUT)/$(SLUG).epub $(OUT)/$(SLUG).pdf

# The tests run in TEST_JOBS worker processes (pytest-xdist; default: one per core), each with
# its own session fixtures; TEST_JOBS=0 runs them in this process.
TEST_JOBS ?= auto
test: setup test-system-packages check-tools
	@$(PY) -m pytest -q -n $(TEST_JOBS)

# make corpus   build every real book of tests/corpus/ (EPUB, and PDF at --profile kdp), CORPUS_JOBS at
#               a time, and hold each to epubcheck, Ace, preflight and the page list (tests/corpus/run.py;
#               writes tests/corpus/RESULTS.md). Listed failures: tests/corpus/README.md.
CORPUS_JOBS ?= 2
.PHONY: corpus
corpus: setup test-system-packages check-tools
	@$(PY) tests/corpus/run.py -j $(CORPUS_JOBS)

# --- web: the book's page (pipeline/web) ---
HOST ?= 127.0.0.1
PORT ?= 8000
serve: setup
	@$(PY) -m pipeline serve $(MANUSCRIPT) -o $(OUT) --host $(HOST) --port $(PORT)

preview: setup
	@$(PY) -m pipeline preview $(MANUSCRIPT) -o $(OUT) --host $(HOST) --port $(PORT)

site: setup
	@$(PY) -m pipeline site $(MANUSCRIPT) --build-dir $(OUT) -o $(OUT)/site

bench-web: setup
	@$(PY) bench/web.py $(MANUSCRIPT)
# --- end web ---

BENCH_ARGS ?=
bench: setup
	@$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(OUT) .pytest_cache

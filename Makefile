# make          set up (system packages, virtual environment) and build the book
# make test     run the tests (sets up first)
# make epub | pdf | check | clean | setup
# make serve | preview | site   the book's page on http://127.0.0.1:8000/, live, or as a static site

MANUSCRIPT ?= manuscript
OUT        ?= build
PYTHON     ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
STAMP      := $(VENV)/.installed
SLUG        = $(shell $(PY) -m pipeline slug $(MANUSCRIPT))

# Debian packages the build and the tests need: the book face, HarfBuzz's subsetter
# (WeasyPrint embeds font subsets with it), Pango, a Java runtime for epubcheck,
# and poppler-utils (pdftoppm) for looking at pages.
SYSTEM_PACKAGES := fonts-ebgaramond libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 \
                   default-jre-headless poppler-utils python3-venv
# Only `make test` needs these: a real browser (driven by Playwright) and a sans face for the web page's tests.
TEST_SYSTEM_PACKAGES := chromium fonts-dejavu-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup system-packages test-system-packages book epub pdf check test bench clean serve preview site bench-web

all: book

setup: $(STAMP)

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

book: setup
	@$(PY) -m pipeline build $(MANUSCRIPT) -o $(OUT)

epub: setup
	@$(PY) -m pipeline build $(MANUSCRIPT) -o $(OUT) --only epub

pdf: setup
	@$(PY) -m pipeline build $(MANUSCRIPT) -o $(OUT) --only pdf

check: book
	@$(PY) -m pipeline.validate $(OUT)/$(SLUG).epub $(OUT)/$(SLUG).pdf

test: setup test-system-packages
	@$(PY) -m pytest -q

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

clean:
	rm -rf $(OUT) .pytest_cache

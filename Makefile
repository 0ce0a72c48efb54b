# gancourse: `make lab` to learn, `make test` to run everything CI runs.
# Both set up .venv on first use (and again whenever pyproject.toml changes): make lab installs the
# course with its `lab` extra (JupyterLab), make test (and setup) the `lab` and `dev` extras.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP_LAB := $(VENV)/.installed-lab
STAMP     := $(VENV)/.installed
COMMA     := ,
LAB_ARGS ?=
PYTEST_ARGS ?=

.PHONY: lab test test-full setup chromium exercises format bench site site-fast clean-venv help

help:
	@echo "make lab        set up (first use) and open JupyterLab on lesson 00"
	@echo "make test       set up (first use) and run the tests and every notebook in FAST mode"
	@echo "make test-full  run every lesson and exercise solution in full mode, as learners do"
	@echo "make exercises  regenerate learner copies from exercises/source"
	@echo "make format     format and auto-fix code with ruff"
	@echo "make bench      run the benchmarks"
	@echo "make site       build the course website, every lesson run in full mode (docs/site/_build/html)"
	@echo "make site-fast  the same from FAST-mode runs, as CI builds it (docs/site/_build/fast/html)"

setup: $(STAMP)

# One stamp per set of extras, each older than pyproject.toml means "install again".
# The dev stamp's install includes the lab extra, so it refreshes the lab stamp too.
define install
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -e ".[$(1)]"
endef

$(STAMP_LAB): pyproject.toml
	$(call install,lab)
	@touch $(STAMP_LAB)

$(STAMP): pyproject.toml
	$(call install,lab$(COMMA)dev)
	@touch $(STAMP) $(STAMP_LAB)

lab: $(STAMP_LAB)
	$(PY) -m gancourse.lab $(LAB_ARGS)

# The browser tests drive Debian's Chromium through Playwright (no browser download).
# Installed here when missing and possible (root + apt-get); otherwise those tests skip with the reason.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } \
	      || echo "could not install chromium: the browser tests will be skipped"; \
	  else echo "chromium missing and cannot be installed here (needs root + apt-get): the browser tests will be skipped"; fi; }

# The lessons run in FAST mode inside tests/test_site.py, which builds the course site from them (a
# cell error fails the build and shows its traceback), so nbval runs only the exercise solutions
# here: each lesson executes once. make test-full runs every lesson again in full mode under nbval.
test: $(STAMP) chromium
	GANCOURSE_FAST=1 $(VENV)/bin/ruff check .
	GANCOURSE_FAST=1 $(PY) -m pytest -p no:cacheprovider tests $(PYTEST_ARGS)
	GANCOURSE_FAST=1 $(PY) -m pytest -p no:cacheprovider --nbval-lax exercises/source $(PYTEST_ARGS)

# Every lesson and exercise solution with full settings (no GANCOURSE_FAST), as a learner runs
# them: about 13 minutes on a 2-core CPU. CI runs it after `make test` (.ci/run). A cell working
# over 15 s without a progress bar fails (conftest.py).
test-full: $(STAMP)
	env -u GANCOURSE_FAST $(PY) -m pytest -p no:cacheprovider --nbval-lax lessons exercises/source $(PYTEST_ARGS)

exercises: $(STAMP)
	$(PY) -m gancourse.exercises exercises/source exercises

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Runs every benchmark and writes docs/benchmarks.md. BENCH_ARGS=--quick skips full-mode lessons and make test.
BENCH_ARGS ?=
bench: $(STAMP) chromium
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

# The course as a website (Sphinx + myst-nb, sources in docs/site): every lesson executed and shown
# with its figures. Executions are cached (docs/site/_build/.jupyter_cache, per mode), so a rebuild
# after a prose change takes seconds; a cell error fails the build. SITE_ARGS: more sphinx options.
SITE_ARGS ?=
site: $(STAMP)
	env -u GANCOURSE_FAST $(PY) -m sphinx -b html -c docs/site . docs/site/_build/html -d docs/site/_build/doctrees $(SITE_ARGS)
	@echo "open docs/site/_build/html/index.html"

site-fast: $(STAMP)
	GANCOURSE_FAST=1 $(PY) -m sphinx -b html -c docs/site . docs/site/_build/fast/html -d docs/site/_build/fast/doctrees $(SITE_ARGS)
	@echo "open docs/site/_build/fast/html/index.html"

clean-venv:
	rm -rf $(VENV)

# FractalNet, step by step. Two commands do everything, set-up included:
#   make book   build the rendered HTML book (chapters executed for real) into _build/html
#   make test   run every test: unit tests (TensorFlow), the package on JAX and PyTorch, every
#               chapter under nbval, nbgrader's round trip on the classroom edition, a strict
#               book build, and the built book in headless Chromium
# Both create or reuse .venv, install the pinned Python packages, the JavaScript the pages serve
# and, where the machine allows, the Debian packages the chapters and the browser test use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The test flag: chapters shrink slow work (epochs, sample sizes) when it is set.
QUICK := FRACTALNET_QUICK=1

.PHONY: book test setup system widget-js lab export notebooks results run-times student classroom format lint unit backends nbval book-check browser clean

book: setup
	$(BIN)/python tools/build_book.py

# The autograder round trip runs beside the book's strict build and browser test, which
# keep less than one core busy (measured: 1 min 58 s of browser test at 58% of a core).
test: setup lint unit backends nbval
	$(MAKE) --no-print-directory -j2 --output-sync=target classroom browser

setup: system $(STAMP) widget-js

system:
	@bash tools/install_system_packages.sh

# require.js, html-manager and MathJax, served from the built book (offline widgets and maths).
widget-js:
	@bash tools/install_widget_js.sh

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/pip || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

# One layout for the Python files and the chapters' code cells, within 88 columns, and no
# pyflakes finding (settings in pyproject.toml). `make format` rewrites; `make test` checks.
format: setup
	$(BIN)/ruff format .

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

unit: setup
	$(BIN)/python -m pytest -n auto tests --doctest-modules fractalviz fractalnet

# The package on Keras' other backends (the unit run above covers TensorFlow). JAX and PyTorch
# live in their own environment so that the book's set-up stays as it is.
BACKENDS_VENV := .venv-backends
BACKENDS_STAMP := $(BACKENDS_VENV)/.installed

$(BACKENDS_STAMP): requirements-backends.txt
	test -x $(BACKENDS_VENV)/bin/pip || { rm -rf $(BACKENDS_VENV) && $(PYTHON) -m venv $(BACKENDS_VENV); }
	$(BACKENDS_VENV)/bin/python -m pip install -q --upgrade pip
	$(BACKENDS_VENV)/bin/python -m pip install -q -r requirements-backends.txt
	touch $@

backends: $(BACKENDS_STAMP)
	for backend in jax torch; do \
		KERAS_BACKEND=$$backend PYTHONPATH=. $(BACKENDS_VENV)/bin/python -m pytest -p no:cacheprovider \
			tests/backends || exit 1; \
	done

# Every chapter re-run under nbval and compared with its committed outputs, with oneDNN switched off:
# the committed run used it, so training's floating point differs here as it does between CPUs, and
# an output that depends on it must be checked by tolerance, not compared (tests/nbval_sanitize.cfg).
# Chapters run side by side, one kernel per worker (`--dist loadfile` keeps a notebook's cells
# in order on one worker): 4 min 8 s against 6 min 46 s one after the other, on 2 cores.
nbval: setup
	$(QUICK) TF_ENABLE_ONEDNN_OPTS=0 $(BIN)/python -m pytest -p no:randomly -n auto --dist loadfile \
		--nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg book

book-check: setup
	$(BIN)/python tools/build_book.py --strict

# The strict build in headless Chromium, offline: no console errors, animations play, explorers
# respond; screenshots in test-artifacts/screenshots/.
CHROMIUM ?= /usr/bin/chromium
browser: book-check
	@if [ -x "$(CHROMIUM)" ]; then \
		FRACTALNET_CHROMIUM=$(CHROMIUM) FRACTALNET_BOOK_HTML=_build/strict/_build/html \
			$(BIN)/python -m pytest -p no:randomly tests/browser; \
	else \
		echo "browser: SKIPPED, no Chromium at $(CHROMIUM) (install the Debian package chromium)"; \
	fi

# Open the chapters live in JupyterLab (installed on first use; not needed by the book or tests).
lab: setup
	$(BIN)/python -m pip install -q "jupyterlab>=4,<5"
	$(BIN)/jupyter lab book

# After editing a chapter's #@save cells: regenerate fractalnet/ from the chapters.
export: setup
	$(BIN)/python tools/export_chapters.py

# Retrain every experiment of the results store (results/) from scratch, with the full settings:
# the chapters load these results when their configuration and code match. About two hours
# on 2 cores. `tools/study_defaults.py` measures the training defaults (about 25 minutes).
results: setup
	$(BIN)/python tools/make_results.py

# How long each chapter runs in full, under the test flag and as the autograder grades it,
# for the instructor's guide (book/run_times.json; 21 minutes on 2 idle cores when last
# measured).
run-times: setup
	$(BIN)/python tools/chapter_run_times.py

# The classroom edition: student notebooks generated by nbgrader from the chapters, in
# _build/student/ with the hand-out zip (see tools/student_edition.py).
student: setup
	$(BIN)/python tools/student_edition.py

# The autograder round trip: nbgrader grades the chapters' reference solutions (full
# marks) and the untouched student notebooks (zero, no crash), under the test flag.
classroom: setup
	FRACTALNET_CLASSROOM=1 $(QUICK) TF_ENABLE_ONEDNN_OPTS=0 $(BIN)/python -m pytest -p no:randomly \
		tests/classroom

# Re-execute chapters in place (under the test flag) before committing them.
notebooks: setup export
	$(BIN)/python tools/execute_notebooks.py

clean:
	rm -rf _build

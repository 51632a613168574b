# The two commands of the README: `make lab` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Tests: tiny images and few steps in the notebooks, no progress bars, no windows.
# One torch thread per pytest worker: two workers already fill the two cores.
TEST_ENV := NST_COURSE_FAST=1 TQDM_DISABLE=1 MPLBACKEND=Agg PYTHONHASHSEED=0 OMP_NUM_THREADS=1

.PHONY: install lab lab-student test lint clean wheel student slides html navigation web-assets browser-deps time-lessons serve

install: $(STAMP)

# (Re)install when the venv is missing or pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import nst_course, torch, torchvision; print('installed: torch', torch.__version__)"
	@touch $(STAMP)

# --allow-root only where we are root (containers); JupyterLab refuses root otherwise.
# The URL it prints opens lesson 00 itself (not the Launcher), also in a headless setup.
# NST_COURSE_MODE=demo make lab: smaller pictures, quicker runs (see README).
LAB := $(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)
# `make lab` works in course/ (git-ignored), never in the tracked notebooks/: JupyterLab autosaves
# outputs into the notebook it runs. Lessons missing from course/ are copied there; a copy already
# there (your work) is never replaced: delete it to get the repository's current version.
COURSE := course
lab: $(STAMP)
	$(BIN)/nst-course lab $(COURSE)

# The student copies (made once by `make student`; never overwritten here, so work is kept).
lab-student: $(STAMP) | student/00_start_here.ipynb
	$(LAB) --ServerApp.root_dir=student --LabApp.default_url=/lab/tree/00_start_here.ipynb
student/00_start_here.ipynb:
	$(BIN)/python tools/student.py notebooks student

lint: $(STAMP)
	$(BIN)/ruff check nst_course tests notebooks tools

test: $(STAMP) lint browser-deps
	@$(MAKE) --no-print-directory web-assets || echo "web assets missing: the slides/site test will be skipped"
	$(TEST_ENV) $(BIN)/python -m pytest -n 2 --dist loadscope --no-loadscope-reorder --nbval-lax --nbval-current-env --durations=12 tests notebooks

# The wheel that carries the course (package + lessons) -> dist/; offline, with the venv's setuptools.
# Install it anywhere with pip; `nst-course lessons DIR` copies the lessons out of it (README).
# It refuses lessons stored with outputs (a run in notebooks/ autosaved): the wheel would ship them.
wheel: $(STAMP)
	@$(BIN)/python -m nbstripout --verify notebooks/*.ipynb >/dev/null || { \
	  $(BIN)/python -m nbstripout --verify notebooks/*.ipynb | sed 's/^Dry run: would have stripped/  holds outputs:/'; \
	  echo "make wheel: refused, the lessons above hold outputs and would ship in the wheel; strip them with" \
	       "'$(BIN)/nbstripout notebooks/*.ipynb' (or 'git checkout notebooks/'), then run make wheel again."; \
	  exit 1; }
	rm -rf dist build  # build/ may hold modules deleted since the last build
	$(BIN)/python -m pip wheel --no-deps --no-build-isolation --quiet -w dist .
	@ls dist/*.whl

clean:  # course/ and student/ hold a learner's work: not removed here
	rm -rf $(VENV) build dist *.egg-info .pytest_cache site slides tools/node_modules

# --- classroom and self-study tools (tools/) ---------------------------------------------
ASSETS := tools/node_modules/.package-lock.json

# Offline web assets for slides and the site (reveal.js, MathJax 2, require.js, ...) from npm.
web-assets: $(ASSETS)
$(ASSETS): tools/package.json tools/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js (apt-get install npm) for slides/html"; exit 1; }
	cd tools && npm ci --no-audit --no-fund --loglevel=error
	@touch $(ASSETS)

# Student copies: solutions out (stubs in), outputs cleared -> student/
student: $(STAMP)
	$(BIN)/python tools/student.py notebooks student

# reveal.js slides of every lesson, executed, offline -> slides/ (FAST=1: tiny and quick;
# DEMO=1: the demo mode's ~128 px pictures, for a lecture prepared in little time)
slides: $(STAMP) $(ASSETS)
	$(if $(FAST),NST_COURSE_FAST=1) $(if $(DEMO),NST_COURSE_MODE=demo) TQDM_DISABLE=1 \
	  $(BIN)/python tools/build_site.py slides

# Static site of the executed course, offline -> site/index.html (FAST=1 / DEMO=1 as for slides)
html: $(STAMP) $(ASSETS)
	$(if $(FAST),NST_COURSE_FAST=1) $(if $(DEMO),NST_COURSE_MODE=demo) TQDM_DISABLE=1 \
	  $(BIN)/python tools/build_site.py html

# The built site on http://127.0.0.1:8000/ (loopback only), with the .wasm MIME type and the
# cross-origin isolation headers the Try it page needs for two threads; the other pages open as files.
serve: $(STAMP)
	$(BIN)/nst-course serve site

# Execute every lesson (MODE=full|demo|fast, default full) in a temporary folder and print a
# markdown table of the seconds each took next to doctor's estimate; README=README.md also writes
# it between the README's lessons markers; KEEP=DIR saves the executed lessons there (figures
# included, to look at). Publish only timings from a quiet machine.
time-lessons: $(STAMP)
	$(BIN)/python tools/time_lessons.py --mode $(or $(MODE),full) $(if $(README),--update-readme $(README)) $(if $(KEEP),--keep $(KEEP))

# Regenerate prev | index | next cells, the lesson list in 00, and the slide metadata.
navigation: $(STAMP)
	$(BIN)/python tools/navigation.py
	$(BIN)/python tools/slides_metadata.py

# Chromium for the real-browser test (Debian package; never `playwright install`).
# Without root or apt the test skips and says why.
browser-deps:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: tests/test_browser.py will be skipped"; }

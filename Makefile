# The two commands of the README: `make lab` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Tests: tiny images and few steps in the notebooks, no progress bars, no windows.
TEST_ENV := NST_COURSE_FAST=1 TQDM_DISABLE=1 MPLBACKEND=Agg PYTHONHASHSEED=0

.PHONY: install lab test lint clean

install: $(STAMP)

# (Re)install when the venv is missing or pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import nst_course, torch, torchvision; print('installed: torch', torch.__version__)"
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb

lint: $(STAMP)
	$(BIN)/ruff check nst_course tests notebooks

test: $(STAMP) lint
	$(TEST_ENV) $(BIN)/python -m pytest -n 2 --dist loadscope --nbval-lax --nbval-current-env tests notebooks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# normcourse — two commands: `make book` and `make test` (students: `make lab`).
# Everything is installed into .venv from pyproject.toml, starting from a bare Python 3.11.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
BOOK_STAMP := $(VENV)/.installed-book
TEST_STAMP := $(VENV)/.installed-test
GRADE_STAMP := $(VENV)/.installed-grade
LAB_STAMP := $(VENV)/.installed-lab
BENCH_STAMP := $(VENV)/.installed-bench
JB_FLAGS ?=

.PHONY: book book-strict test lint pytest bench exercises grade lab clean clean-cache help

help:
	@echo "make book   - set up .venv and build the executed book into _build/html"
	@echo "make test   - set up .venv with test extras and run everything CI runs"
	@echo "make lab    - students: copy the exercises into work/ (an edited copy is never"
	@echo "              overwritten) and open JupyterLab there [WORK=work LAB_ARGS=...]"
	@echo "make bench  - run the benchmarks (ratios against reference libraries)"
	@echo "make exercises - regenerate exercises/ and book/practice/ from solutions/"
	@echo "make grade SUBMISSIONS=dir [OUT=grading-out JOBS=2 EXERCISES='id ...' ROSTER=file.csv"
	@echo "           FORMAT=canvas|moodle|plain ASSIGNMENT='name'] - grade student notebooks"
	@echo "           (the grading secret: export NORMCOURSE_GRADING_SECRET=...)"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "normcourse needs Python 3.11, got " + sys.version'
	$(PYTHON) -m venv $(VENV)

$(BOOK_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[book]"
	touch $@

$(GRADE_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[grade]"
	touch $@

$(LAB_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[lab]"
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[test]"
	touch $@ $(BOOK_STAMP) $(GRADE_STAMP) $(LAB_STAMP)

# Notebook kernels inherit this: single-threaded BLAS is faster for the books' small problems.
BLAS1 := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

book: $(BOOK_STAMP)
	$(BLAS1) $(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo
	@echo "Book built. Open: file://$(CURDIR)/_build/html/index.html"

# The book as CI builds it: every warning is an error.
book-strict: $(TEST_STAMP)
	$(BLAS1) $(BIN)/jupyter-book build . -W -n --keep-going

lint: $(TEST_STAMP)
	$(BIN)/ruff check normcourse tests bench conftest.py

pytest: $(TEST_STAMP)
	$(BIN)/python -m pytest

test: $(TEST_STAMP)
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint && \
	$(MAKE) --no-print-directory book-strict && \
	$(MAKE) --no-print-directory pytest && \
	echo "make test: all green in $$(( $$(date +%s) - start )) s"

$(BENCH_STAMP): pyproject.toml $(TEST_STAMP)
	$(PIP) install -e ".[test,bench]"
	touch $@

bench: $(BENCH_STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Student notebooks and the exercise pages of the book are generated from solutions/.
exercises: $(GRADE_STAMP)
	$(BIN)/python -m normcourse release

# Sandboxed autograding: grades.csv, <student>/feedback.md, <student>/results.json in OUT.
SUBMISSIONS ?= submissions
OUT ?= grading-out
JOBS ?= 2
EXERCISES ?=
ROSTER ?=
FORMAT ?=
ASSIGNMENT ?=
grade: $(GRADE_STAMP)
	@$(BIN)/normcourse grade $(SUBMISSIONS) --out $(OUT) --jobs $(JOBS) \
	  $(foreach e,$(EXERCISES),--exercise $(e)) \
	  $(if $(ROSTER),--roster "$(ROSTER)") $(if $(FORMAT),--format $(FORMAT)) \
	  $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)"); rc=$$?; \
	if [ $$rc -eq 1 ]; then echo "some submissions had problems: see the notes column of $(OUT)/grades.csv"; \
	elif [ $$rc -ne 0 ]; then exit $$rc; fi

# The student's folder: a copy of every exercise in exercises/ (new ones added, unedited
# ones refreshed, edited ones never touched), then JupyterLab in it. JUPYTER_CONFIG_PATH
# points at WORK/.jupyter, whose labconfig makes a double-click open a .md as a notebook.
WORK ?= work
LAB_ARGS ?=
lab: $(LAB_STAMP)
	$(BIN)/python -m normcourse.student --exercises exercises --work $(WORK)
	$(BLAS1) JUPYTER_CONFIG_PATH="$(abspath $(WORK))/.jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(BIN)/jupyter-lab --ServerApp.root_dir="$(abspath $(WORK))" \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

clean-cache:
	rm -rf _build/.jupyter_cache

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis

# Two commands for a fresh clone: `make run` and `make test` (see README).
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
RUNTIME := $(VENV)/.runtime-installed
TESTDEPS := $(VENV)/.test-installed

.PHONY: run test lint messages bench clean

$(PY):
	@py=$$(sh scripts/find-python.sh) && echo "Using $$py" && "$$py" -m venv $(VENV)

$(RUNTIME): requirements.txt constraints.txt pyproject.toml | $(PY)
	$(PIP) -r requirements.txt -c constraints.txt
	$(PIP) --no-deps -e .
	@touch $@

$(TESTDEPS): $(RUNTIME) requirements-test.txt
	$(PIP) -r requirements-test.txt -c constraints.txt
	@touch $@

run: $(RUNTIME)
	$(VENV)/bin/guanxi run

test: $(TESTDEPS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

lint: $(TESTDEPS)
	$(VENV)/bin/ruff check .

messages: $(TESTDEPS)
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var

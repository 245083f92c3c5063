# Kaifang — every target creates the project virtualenv (.venv) itself.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kaifang-installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv bytecode demo test bench portal-up portal-down portal-status clean

$(STAMP): pyproject.toml setup.py $(wildcard pipelines/privacy/*.pyx pipelines/privacy/*.pxd kaifang/*.pyx)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

# The project's own modules are installed editable, so nothing compiled them: without this every
# `kaifang` process compiled its sources again (PYTHONDONTWRITEBYTECODE), ~0.2 s per command.
# compileall skips what is up to date.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q -j 0 kaifang pipelines publish quality bench flows.py

portal-up: venv
	$(BIN)/kaifang portal up

portal-down: venv
	$(BIN)/kaifang portal down

portal-status: venv
	$(BIN)/kaifang portal status

demo: venv bytecode
	$(BIN)/python -m kaifang.demo

test: venv bytecode
	$(BIN)/python -m pytest

bench: venv bytecode
	$(BIN)/python -m bench.run

clean:
	-$(BIN)/kaifang portal down
	-$(BIN)/python -m pipelines.extract.demo_sources down
	rm -rf $(VENV) .kaifang

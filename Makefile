# `make demo` and `make test` bring a fresh machine to a working state first (Debian packages,
# a virtualenv, the Gradle build) and are quick when everything is already in place.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PYTHON      := $(VENV)/bin/python
VENV_STAMP  := $(VENV)/.installed
APT_PACKAGES := gradle junit5 libyaml-snake-java libfreemarker-java libjackson2-databind-java chromium
# The Debian jars these pinned versions resolve from; without them Gradle goes to Maven Central.
DEBIAN_JARS := /usr/share/java/snakeyaml.jar /usr/share/java/freemarker.jar \
               /usr/share/java/jackson-databind.jar /usr/share/java/junit-platform-console-standalone.jar
GRADLE      := gradle --quiet $(if $(wildcard $(DEBIAN_JARS)),--offline,)
LAUNCHER    := build/install/mlpipelines/bin/mlpipelines
GRADLE_TEST := $(GRADLE) -Ppython=$(abspath $(PYTHON))
SUDO        := $(if $(filter 0,$(shell id -u)),,sudo)
LINTED      := python tests

export MLPIPELINES_PYTHON := $(abspath $(PYTHON))

.PHONY: help setup system-packages python-env java-build demo lint test test-fast clean wheel

help:
	@echo "make demo   set up, then run the example pipeline"
	@echo "make test   set up, lint, then run the JUnit and pytest suites"
	@echo "make lint   ruff check, ruff format --check and mypy over python/ and tests/"
	@echo "make test-fast   lint, then pytest without the e2e, jvm and slow tests (no Gradle)"

setup: system-packages python-env java-build

system-packages:
	@missing=""; command -v gradle >/dev/null || missing=1; \
	command -v chromium >/dev/null || missing=1; \
	for jar in $(DEBIAN_JARS); do [ -f $$jar ] || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  echo "== installing Debian packages: $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $(APT_PACKAGES); \
	fi

python-env: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	@echo "== setting up $(VENV) (pip install -e .[dev])"
	@[ -x $(PYTHON) ] || python3 -m venv $(VENV)
	@# pip's log goes to a file and is shown only when the install fails.
	@$(PYTHON) -m pip install --upgrade pip > $(VENV)/pip-install.log 2>&1 \
	  && $(PYTHON) -m pip install -e '.[dev]' >> $(VENV)/pip-install.log 2>&1 \
	  || { tail -40 $(VENV)/pip-install.log >&2; echo "pip install failed; full log: $(VENV)/pip-install.log" >&2; exit 1; }
	@touch $@

java-build: system-packages
	@$(GRADLE) installDist 2>&1 | grep -v -E '^(openjdk|OpenJDK)' || true
	@test -x $(LAUNCHER) || { echo "Gradle build failed: $(LAUNCHER) is missing" >&2; exit 1; }

demo: setup
	$(LAUNCHER) run examples/digits.yaml --tracking examples/tracking.yaml

lint: python-env
	@echo "== lint (ruff check, ruff format --check, mypy)"
	@$(VENV)/bin/ruff check --quiet $(LINTED)
	@$(VENV)/bin/ruff format --check --quiet $(LINTED)
	@$(VENV)/bin/mypy

test: setup lint
	@echo "== JUnit (gradle check)"
	@set -o pipefail; $(GRADLE_TEST) check 2>&1 | grep -v -E '^(openjdk|OpenJDK)'
	@echo "== pytest"
	@$(PYTHON) -m pytest -q tests

test-fast: python-env lint
	@echo "== pytest (not e2e, jvm or slow)"
	@$(PYTHON) -m pytest -q -m "not e2e and not jvm and not slow" tests

# A wheel that carries the Java generator's jars: `pip install dist/mlpipelines_tracking-*.whl` in any
# virtualenv (Java 17 present) gives a working `mlpipelines` outside the checkout.
wheel: python-env java-build
	@rm -rf python/mlpipelines/jars && mkdir -p python/mlpipelines/jars dist
	@cp build/install/mlpipelines/lib/*.jar python/mlpipelines/jars/
	@$(PYTHON) -m pip wheel --no-deps --quiet -w dist . ; status=$$?; rm -rf python/mlpipelines/jars build/lib build/bdist.*; exit $$status
	@ls dist/mlpipelines_tracking-*.whl

clean:
	rm -rf build .gradle $(VENV) runs mlruns mlflow.db .mypy_cache .ruff_cache

# wirelens: `make demo` sets a fresh Debian machine up and runs the demo;
# `make test` sets it up and runs the whole suite (live tests need root: CI runs as root).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# root needs no sudo (a fresh container may not even have it); anyone else does.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := python3 python3-venv python3-pip iproute2 libpcap0.8 tshark ethtool \
	chromium fonts-noto-cjk tmux procps util-linux
STAMP := .make

.PHONY: all setup system venv demo test lint sample clean

all: test

setup: system venv

# Debian packages: installed only when one is missing, so a warm machine skips apt entirely.
system:
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		echo "installing Debian packages: $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && \
		echo "wireshark-common wireshark-common/install-setuid boolean false" | $(SUDO) debconf-set-selections && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

$(STAMP)/venv: pyproject.toml
	@mkdir -p $(STAMP)
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	# compiled now: run as root, the parsing side drops to a user who cannot write here
	$(PY) -m compileall -q wirelens
	@touch $@

venv: $(STAMP)/venv

demo: setup
	$(SUDO) $(VENV)/bin/explain-demo tcp

lint: venv
	$(VENV)/bin/ruff check wirelens tests
	$(VENV)/bin/mypy

# The live tests need root; CI is root. WIRELENS_REQUIRE_LIVE=1 turns their skips into failures.
test: setup
	$(VENV)/bin/ruff check wirelens tests
	$(VENV)/bin/mypy
	$(SUDO) env WIRELENS_REQUIRE_LIVE=1 $(PY) -m pytest -q -p no:cacheprovider

# Re-captures the sample shipped in the package (wirelens/samples/).
sample: setup
	$(SUDO) $(VENV)/bin/explain-demo tcp --port 8080 --save wirelens/samples/tcp-demo.pcapng --force --format json >/dev/null

clean:
	rm -rf $(VENV) $(STAMP) build *.egg-info

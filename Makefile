# m0nn: the two front-door commands.
#   make demo   set everything up, then the main job (example model -> M0 firmware on QEMU)
#   make test   every check: lint, types, Python tests, C tests on the host and on the emulated M0
# Everything installs into .venv (Python) and, when missing, from Debian (toolchain, QEMU).

VENV    ?= .venv
PY      := $(VENV)/bin/python
PIO     := $(PY) -m platformio
APT_PKGS := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm clang-format
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
C_SOURCES := $(shell git ls-files 'lib/m0nn/*.c' 'lib/m0nn/*.h' 'src/*.c' 'src/*.h' 'test/*.c' 'test/*.h' 'python/m0nn/pio/platforms/*.c' 'python/m0nn/pio/platforms/*.h' 2>/dev/null | grep -v '/generated/\|golden_')

.PHONY: setup demo test test-python test-c lint bench clean

setup: $(VENV)/.installed .pio-setup.stamp

$(VENV)/.installed: pyproject.toml
	@command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null && command -v clang-format >/dev/null || \
	  { echo "m0nn setup: installing $(APT_PKGS) from Debian"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS) >/dev/null; }
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[train,pio,dev]'
	touch $@

.pio-setup.stamp: $(VENV)/.installed $(shell git ls-files python/m0nn/pio/platforms 2>/dev/null)
	$(VENV)/bin/m0nn pio-setup
	touch $@

demo: setup
	$(VENV)/bin/m0nn demo

lint: setup
	$(VENV)/bin/ruff check python extra_scripts test
	$(VENV)/bin/ruff format --check python extra_scripts test
	$(VENV)/bin/mypy
	clang-format --dry-run -Werror $(C_SOURCES)

test-python: setup
	$(PY) -m pytest python/tests python/m0nn --doctest-modules -q

test-c: setup
	$(PIO) test -e native
	$(PIO) test -e native_asan
	$(PIO) test -e m0_qemu

test: lint test-python test-c

bench: setup
	$(VENV)/bin/m0nn bench

clean:
	rm -rf .pio $(VENV) .pio-setup.stamp

# Set-up and everyday commands. See README.md.
#   make demo   - install everything and run a demo branch: the kiosk and the door, simulated devices
#   make test   - install everything the tests need and run the whole suite
#   make lint   - ruff, mypy and the import rules (lint-imports)

# The newest Python 3.11+ that runs here: 3.12 and newer keep None immortal, a second guard against Qt
# bindings that drop references to it (pyproject.toml keeps the known one out on every Python).
# A pyenv shim for a version that is not active fails the check and is skipped. PYTHON=... overrides.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,python3.13 python3.12 python3.11 python3,\
	$(shell $(p) -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $(p))) python3)
endif
VENV ?= .venv
BIN := $(VENV)/bin

# Debian/Ubuntu packages the kiosk needs: building pyscard (swig, libpcsclite-dev) and pycups
# (libcups2-dev), the PC/SC daemon, CUPS, speech and tones (espeak-ng, aplay), USB printers, fonts,
# and the libraries Qt needs to draw (offscreen and on an X11/Wayland desktop). The central service
# converts office documents sent to print with LibreOffice: the -nogui packages of Writer, Calc and
# Impress run headless without X or Java (with --no-install-recommends, about 300 MB; Draw comes too).
APT_PACKAGES := python3 python3-venv python3-dev gcc pkg-config swig libpcsclite-dev pcscd \
	cups cups-client cups-bsd libcups2-dev libusb-1.0-0 espeak-ng alsa-utils ghostscript \
	fonts-noto-core fonts-dejavu-core libegl1 libgl1 libopengl0 libfontconfig1 libdbus-1-3 \
	libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 \
	libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 \
	libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
	cage xwayland seatd libwayland-client0 libwayland-cursor0 libwayland-egl1
# A terminal runs the kiosk under cage (a Wayland kiosk compositor, which will not start without
# xwayland) through Qt's wayland platform plugin.
# Only for the tests: serial pty pairs, a virtual PC/SC reader (never install it on a kiosk: it
# listens on the network), a PDF printer, IPP printers (ippeveprinter, which will not start without a
# D-Bus system bus: the tests run a dbus-daemon of their own, no avahi-daemon), certificates, tools to
# read back PDFs and audio, and a PostgreSQL server (the central service's tests start their own
# cluster; util-linux's setpriv runs it as nobody when the tests run as root), and Chromium with its
# driver for the administration web. The installer's tests check the units it writes with systemd's
# own `systemd-analyze verify` and its udev rules with `udevadm test` (a container has neither by
# default; neither needs systemd running); passwd's useradd makes the user the kiosk runs as under
# cage (tests/deploy/test_cage.py, as root). A screen reader's view of the kiosk under cage
# (tests/deploy/test_atspi.py): the AT-SPI bus and registry (at-spi2-core), gdbus to switch
# accessibility on as Orca does (libglib2.0-bin), and libatspi read from the system's Python
# (gir1.2-atspi-2.0, python3-gi), the client library Orca itself uses.
APT_TEST_PACKAGES := socat vsmartcard-vpcd printer-driver-cups-pdf cups-ipp-utils dbus-daemon \
	poppler-utils openssl sox postgresql util-linux chromium chromium-driver systemd udev passwd \
	at-spi2-core libglib2.0-bin gir1.2-atspi-2.0 python3-gi

.PHONY: demo test lint screenshots texts bench soak crash fuzz boot-test vm-test system-deps clean

demo: $(VENV)/.installed
	$(BIN)/library-kiosk demo --branch

test: $(VENV)/.installed
	@$(MAKE) --no-print-directory system-deps PACKAGES="$(APT_PACKAGES) $(APT_TEST_PACKAGES)"
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

screenshots: $(VENV)/.installed
	@for size in 1080x1920 1920x1080; do \
	  for lang in $$($(BIN)/python -c "from kiosk.texts import LANGUAGES; print(*LANGUAGES)"); do \
	  for screen in $$($(BIN)/python -c "from kiosk.simulate.screenshot import SCREENS; print(*SCREENS)"); do \
	    $(BIN)/library-kiosk screenshot --screen $$screen --lang $$lang --size $$size \
	      --out screenshots/$$screen-$$lang-$$size.png || exit 1; \
	  done; done; done

# After editing a translation (kiosk/texts/locale/*/LC_MESSAGES/kiosk.po): compile what the kiosk reads.
texts: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d kiosk/texts/locale -D kiosk --statistics

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks

# Not part of `make test`: the demo kiosk with its real window offscreen through 10,000 patron visits
# (about 70 minutes on 2 cores), printing memory every 1,000; fails when it grows by more than 0.1 MB
# per 1,000.
soak: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks.soak --visits 10000 --every 1000

# Not part of `make test` (it debootstraps Debian and needs root on a machine, about 2 minutes with a
# cache): the installed terminal booted by a real systemd in a container; the kiosk ready at boot,
# restarted after kill -9 and after a hang (the unit's watchdog), stopped and started, the door unit
# throughout.
boot-test:
	bash tests/deploy/boot-test.sh

# Not part of `make test` (as root; it debootstraps Debian, needs the mirror and PyPI, about 12 GB and
# 20 minutes without KVM): README's "Deploying a terminal" done on a fresh Debian 12 root, which then
# boots as a machine of its own in QEMU (a real kernel, GPU, keyboard, serial relay and reboots): the
# kiosk on the screen at boot, the keyboard's escapes tried, kill -9, a hang, the door, a hard reset.
vm-test:
	/usr/bin/python3 tests/deploy/terminal_vm.py

# Not part of `make test` (the suite runs a quick profile): 203,000 hostile inputs to every parser and
# client that takes bytes from outside; a line per target (inputs, crashes, hangs, memory). About 6 min.
fuzz: $(VENV)/.installed
	$(BIN)/python -m benchmarks.fuzz

# Not part of `make test` (the suite runs a small one): the kiosk killed at 110 random points of
# loans, returns, renewals, door entries and offline replays, restarted, and checked from the LMS's,
# the tags' and the relay's side (about 3 minutes). Exit 1 when anything was lost or left wrong.
crash: $(VENV)/.installed
	@$(MAKE) --no-print-directory system-deps PACKAGES="$(APT_PACKAGES) $(APT_TEST_PACKAGES)"
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks.crash

# Installs the Debian packages that are missing: directly as root, through sudo otherwise.
PACKAGES ?= $(APT_PACKAGES)
system-deps:
	@missing=$$(for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "Not a Debian/Ubuntu machine: install the equivalents of: $$missing" >&2; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	echo "Installing system packages: $$missing"; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing

$(VENV)/.installed: pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache screenshots

# cross/cross.mk - the static builds, included by the Makefile.
#
#   make static                   build/<host arch>/sendreports
#   make cross ARCH=aarch64       or armhf, x86_64
#   make sizes                    each target's size, per library
#   make check-cross              the size budget, the BusyBox root test
#                                 on the host's static binary, the
#                                 integration suite on aarch64 and armhf
#                                 under qemu-user, and the TLS=openssl
#                                 build's delivery tests
#   make windows                  build/win64/sendreports.exe (MinGW-w64,
#                                 static, Schannel; cross/windows.sh)
#   make check-windows            that exe's integration tests under
#                                 wine64, in a fresh WINEPREFIX
#   make install-busybox DESTDIR=ROOT [ARCH=armhf]
#                                 a BusyBox root: the static binary, the
#                                 init script, the hooks, the examples,
#                                 the state directories (DESTDIR never
#                                 reaches the libraries' builds)
#
# Everything comes from Debian: the musl wrappers and cross binutils
# (cross/toolchain.sh), the libraries' sources (cross/fetch.sh, pinned in
# cross/SHA256SUMS), built once per arch into build/cross/<arch>/.

CROSS_HOST_ARCH	:= $(shell uname -m)
ARCH		?= $(CROSS_HOST_ARCH)
CROSS_TARGETS	:= x86_64 aarch64 armhf

.PHONY: static cross sizes check-cross install-busybox windows \
	check-windows

static:
	$(Q)sh cross/static.sh $(CROSS_HOST_ARCH)

cross:
	$(Q)sh cross/static.sh $(ARCH)

sizes:
	$(Q)for a in $(CROSS_TARGETS); do sh cross/static.sh $$a >/dev/null || \
	    exit 1; done
	$(Q)$(PYTHON) cross/sizes.py $(CROSS_TARGETS)

# static.sh has stripped the binary with the target's strip already.
install-busybox: cross
	$(Q)DESTDIR=$(DESTDIR) INSTALL="$(INSTALL)" STRIP= \
	    sh scripts/install.sh busybox build/$(ARCH)/sendreports

# Each target is built before any test runs, so the size check sees them all.
check-cross: deps
	$(Q)set -e; for a in $(CROSS_TARGETS); do sh cross/static.sh $$a; done
	$(Q)$(PYTHON) cross/sizes.py $(CROSS_TARGETS)
	$(Q)SENDREPORTS_STATIC_BIN=$(abspath build/$(CROSS_HOST_ARCH)/sendreports) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider -rs \
	    tests/integration/test_busybox_root.py
	$(Q)set -e; for a in aarch64 armhf; do sh cross/check-arch.sh $$a; done
	$(Q)TLS=openssl sh cross/static.sh $(CROSS_HOST_ARCH)
	$(Q)SENDREPORTS_BIN=$(abspath build/$(CROSS_HOST_ARCH)-openssl/sendreports) \
	    SENDREPORTS_STATIC_BIN=$(abspath build/$(CROSS_HOST_ARCH)-openssl/sendreports) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration/test_flush.py \
	    tests/integration/test_busybox_root.py

windows:
	$(Q)sh cross/windows.sh

# The tests skip without SENDREPORTS_WIN_BIN; here it is always set, and
# -rs shows any test skipped for another reason.
check-windows: deps windows
	$(Q)SENDREPORTS_WIN_BIN=$(abspath build/win64/sendreports.exe) \
	    $(PYTHON) -m pytest -q -p no:cacheprovider -rs \
	    tests/integration/test_windows.py

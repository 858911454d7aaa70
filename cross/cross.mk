# cross/cross.mk - the static builds, included by the Makefile.
#
#   make static                   build/<host arch>/sendreports
#   make cross ARCH=aarch64       or armhf, x86_64
#   make sizes                    each target's size, per library
#   make check-cross              aarch64 and armhf under qemu-user, with
#                                 the integration suite
#
# Everything comes from Debian: the musl wrappers and cross binutils
# (cross/toolchain.sh), the libraries' sources (cross/fetch.sh, pinned in
# cross/SHA256SUMS), built once per arch into build/cross/<arch>/.

CROSS_HOST_ARCH	:= $(shell uname -m)
ARCH		?= $(CROSS_HOST_ARCH)
CROSS_TARGETS	:= x86_64 aarch64 armhf

.PHONY: static cross sizes check-cross

static:
	$(Q)sh cross/static.sh $(CROSS_HOST_ARCH)

cross:
	$(Q)sh cross/static.sh $(ARCH)

sizes:
	$(Q)for a in $(CROSS_TARGETS); do sh cross/static.sh $$a >/dev/null || \
	    exit 1; done
	$(Q)$(PYTHON) cross/sizes.py $(CROSS_TARGETS)

check-cross: deps
	$(Q)set -e; for a in aarch64 armhf; do sh cross/static.sh $$a; \
	    sh cross/check-arch.sh $$a; done
	$(Q)$(PYTHON) cross/sizes.py $(CROSS_TARGETS)

# sendreports - gets scheduled BI reports out of edge boxes.
#
#   make              build build/host/sendreports
#   make check        install missing packages, build with -Werror and the
#                     sanitizers, run the unit and integration tests, a
#                     bounded crash-state exploration and 30 s of fuzzing
#                     (make fuzz-check)
#   make crashcheck   explore the states a power cut leaves of a send and
#                     a flush (a bounded run of it is in make check)
#   make demo         build and run the main job on a demo database
#   make fuzz         FUZZ_SECONDS=60: each libFuzzer target of tests/fuzz/
#   make install      PREFIX=/usr/local DESTDIR= INIT=auto STRIP=strip
#                     (make install-strip: the same; the binary is
#                     always stripped)
#
# User variables stay the user's: our flags live in PROG_CFLAGS, so that
# `CFLAGS=-O2 make` keeps them.  DEVELOPER=1 adds -Werror, SANITIZE=
# address,undefined adds the sanitizers, STATIC=1 links statically.

CC		?= cc
PKG_CONFIG	?= pkg-config
PYTHON		?= /usr/bin/python3
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SYSCONFDIR	?= /etc
DATADIR		?= $(PREFIX)/share
SYSTEMDDIR	?= $(PREFIX)/lib/systemd/system
DESTDIR		?=
CFLAGS		?= -O2 -g
LDFLAGS		?=
INSTALL		?= install
# Strips the installed binary; a cross build's own (arm-linux-gnueabihf-strip).
STRIP		?= strip
# The init files make install adds: systemd, busybox, none, or auto (the
# systemd units where systemd runs, else none).
INIT		?= auto
# SENDMAIL=yes: /usr/sbin/sendmail and /usr/bin/mailq link to sendreports,
# unless another mail program has them (never replaced).
SENDMAIL	?= no

ifneq ($(SANITIZE),)
BUILD		?= build/sanitize
else
BUILD		?= build/host
endif

VERSION		:= $(shell git describe --tags --always --dirty 2>/dev/null || cat VERSION)
# The libraries found by pkg-config.  Their flags are read when the build
# runs, after `deps` has installed them (scripts/pkgflags.sh writes them
# to $(PKGFLAGS).*), never when make reads this file: on a bare machine
# they do not exist yet.  The static builds set PKGS= and PKG_LIBS.
PKGS		?= sqlite3 libcurl inih zlib
PKG_STATIC	:= $(if $(STATIC),--static,)
PKGFLAGS	:= $(BUILD)/gen/pkgflags
PKG_CFLAGS	?= $$(cat $(PKGFLAGS).cflags)
PKG_LIBS	?= $$(cat $(PKGFLAGS).libs)
# What installs the build's packages before anything is compiled (DEPS=
# for none: the static builds bring their own).
DEPS		?= sh scripts/deps.sh --build

PROG_CFLAGS	:= -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
		   -Iinclude -I$(BUILD)/gen \
		   -Wall -Wextra -Wshadow -Wwrite-strings -Wstrict-prototypes \
		   -Wmissing-prototypes -Wformat=2 -Wvla -Wpointer-arith -Wundef \
		   -DSENDREPORTS_VERSION='"$(VERSION)"' -MMD -MP
PROG_LIBS	?= $(PKG_LIBS) $(if $(HPDF_DLOPEN),,-lhpdf) -lm
# The dynamic build loads libcurl when it first sends (include/curl_dl.h),
# libharu when it first renders (include/hpdf_dl.h): their headers, not
# their libraries.  CURL_DLOPEN= or HPDF_DLOPEN= links one as usual.
ifeq ($(STATIC),)
CURL_DLOPEN	?= 1
HPDF_DLOPEN	?= 1
endif
ifneq ($(CURL_DLOPEN),)
PROG_CFLAGS	+= -DSENDREPORTS_CURL_DLOPEN
PKG_CFLAGS_ONLY	:= libcurl
endif
ifneq ($(HPDF_DLOPEN),)
PROG_CFLAGS	+= -DSENDREPORTS_HPDF_DLOPEN
endif
ifneq ($(CURL_DLOPEN)$(HPDF_DLOPEN),)
PROG_LIBS	+= -ldl
endif
# The dynamic build links these from their archives (Debian's -dev
# packages have them; scripts/pkgflags.sh): as shared libraries, their
# own mappings and relocations cost every start, the idle tick ~240 KB
# of its 4 MB peak.  PKG_LINK_STATIC= links them shared.
ifeq ($(STATIC),)
PKG_LINK_STATIC	?= sqlite3 inih zlib
endif

ifneq ($(DEVELOPER),)
PROG_CFLAGS	+= -Werror
endif
ifneq ($(SANITIZE),)
PROG_CFLAGS	+= -fsanitize=$(SANITIZE) -fno-sanitize-recover=$(SANITIZE) \
		   -fno-omit-frame-pointer
PROG_LDFLAGS	+= -fsanitize=$(SANITIZE)
endif
ifneq ($(STATIC),)
PROG_CFLAGS	+= -Os -ffunction-sections -fdata-sections
PROG_LDFLAGS	+= -static -Wl,--gc-sections
endif

MAIN_SRC	:= src/main.c
# The platform layer (include/os_*.h) has a side per system: src/posix/,
# or src/win/ for the Windows build (cross/windows.sh sets PLATFORM=win
# and EXE=.exe).
PLATFORM	?= posix
EXE		?=
LIB_SRC		:= $(filter-out $(MAIN_SRC),$(sort $(wildcard src/*.c))) \
		   $(sort $(wildcard src/$(PLATFORM)/*.c))
MIGRATIONS	:= $(sort $(wildcard db/[0-9]*.sql))
STATE_MIGRATIONS := $(sort $(wildcard db/state/[0-9]*.sql))
LIB_OBJ		:= $(LIB_SRC:src/%.c=$(BUILD)/%.o) $(BUILD)/gen/reports_sql.o \
		   $(BUILD)/gen/state_sql.o $(BUILD)/gen/zones.o \
		   $(BUILD)/gen/cabundle.o
ZONEINFO	?= /usr/share/zoneinfo
# The CA bundle the binary carries for boxes without one; CA_BUNDLE= for
# none.  Debian's ca-certificates, when the build machine has it.
CA_BUNDLE	?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
MAIN_OBJ	:= $(BUILD)/main.o
PROG		:= $(BUILD)/sendreports$(EXE)
LIB		:= $(BUILD)/libsendreports.a

UNIT_SRC	:= $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN	:= $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC	:= $(sort $(wildcard tests/tools/*.c))
TOOL_BIN	:= $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

ifeq ($(V),)
Q		:= @
endif

.PHONY: all check check-unit check-integration check-valgrind demo deps \
	deps-build install install-strip clean hdrcheck bench crashcheck \
	crashcheck-quick crashcheck-run

all: $(PROG)

$(PROG): $(MAIN_OBJ) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(PROG_LDFLAGS) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIB) $(PROG_LIBS)

$(LIB): $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $(LIB_OBJ)

$(BUILD)/%.o: src/%.c $(PKGFLAGS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(PROG_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

# The flags of the installed libraries, rewritten only when they change.
# After deps-build, so that a bare machine gets its packages first.
$(PKGFLAGS): FORCE | deps-build
	@mkdir -p $(dir $@)
	$(Q)PKG_CONFIG="$(PKG_CONFIG)" PKG_CFLAGS_ONLY="$(PKG_CFLAGS_ONLY)" \
	    PKG_LINK_STATIC="$(PKG_LINK_STATIC)" CC="$(CC)" \
	    sh scripts/pkgflags.sh $@ \
	    "$(PKG_STATIC)" $(PKGS)

$(BUILD)/gen/reports_sql.c: $(MIGRATIONS) scripts/sql2c.sh
	@mkdir -p $(dir $@)
	$(Q)sh scripts/sql2c.sh reports $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/state_sql.c: $(STATE_MIGRATIONS) scripts/sql2c.sh
	@mkdir -p $(dir $@)
	$(Q)sh scripts/sql2c.sh state $(STATE_MIGRATIONS) > $@.tmp && mv $@.tmp $@

# The zone rules the binary carries, from the build machine's tzdata.
$(BUILD)/gen/zones.c: scripts/zones2c.sh $(wildcard $(ZONEINFO)/tzdata.zi)
	@mkdir -p $(dir $@)
	$(Q)sh scripts/zones2c.sh $(ZONEINFO) > $@.tmp && mv $@.tmp $@

# Rebuilt when the bundle, or the choice of bundle, changes.
$(BUILD)/gen/cabundle.c: scripts/ca2c.sh $(CA_BUNDLE) $(BUILD)/gen/ca_bundle_name
	@mkdir -p $(dir $@)
	$(Q)sh scripts/ca2c.sh $(CA_BUNDLE) > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/ca_bundle_name: FORCE
	@mkdir -p $(dir $@)
	@echo '$(CA_BUNDLE)' | cmp -s - $@ || echo '$(CA_BUNDLE)' > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c $(PKGFLAGS)
	$(Q)$(CC) $(PROG_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

# Version changes rebuild main.o only.
$(MAIN_OBJ): $(BUILD)/gen/version
$(BUILD)/gen/version: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
FORCE:

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(PROG_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(PROG_LDFLAGS) $(LDFLAGS) -o $@ $< \
	    $(LIB) -lcmocka $(PROG_LIBS)

# Small drivers the integration tests run (tests/tools/).
$(BUILD)/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(PROG_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(PROG_LDFLAGS) $(LDFLAGS) -o $@ $< \
	    $(LIB) $(PROG_LIBS)

# Each header compiles on its own.
hdrcheck: $(PKGFLAGS)
	$(Q)for h in include/*.h; do \
	    echo "#include \"$$(basename $$h)\"" | \
	    $(CC) $(PROG_CFLAGS) $(PKG_CFLAGS) -MF /dev/null -Werror -x c -fsyntax-only - || \
	    exit 1; done

deps:
	$(Q)sh scripts/deps.sh

deps-build:
	$(if $(DEPS),$(Q)$(DEPS))

# check builds a separate sanitized tree, so a plain `make` stays fast.
# CHECK_BUILD and VALGRIND_BUILD let several checkouts' checks share a tree.
CHECK_BUILD	?= build/check
VALGRIND_BUILD	?= build/valgrind
CHECK_VARS	:= SANITIZE=address,undefined DEVELOPER=1 BUILD=$(CHECK_BUILD)
export ASAN_OPTIONS := abort_on_error=0:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1

check: deps
	$(Q)$(MAKE) --no-print-directory DEPS= $(CHECK_VARS) hdrcheck check-unit \
	    check-integration
	$(Q)$(MAKE) --no-print-directory DEPS= fuzz-check
	$(Q)$(MAKE) --no-print-directory DEPS= DEVELOPER=1 \
	    BUILD=$(VALGRIND_BUILD) check-valgrind crashcheck-quick

check-unit: $(UNIT_BIN)
	$(Q)set -e; for t in $(UNIT_BIN); do echo "  UNIT    $$t"; $$t; done

check-integration: $(PROG) $(TOOL_BIN)
	$(Q)SENDREPORTS_BIN=$(abspath $(PROG)) \
	    SENDREPORTS_SMTP_DRIVER=$(abspath $(BUILD)/tools/smtp_send) \
	    $(PYTHON) -m pytest -q \
	    -p no:cacheprovider tests/integration $(PYTEST_ARGS)

# The same binary without sanitizers, under valgrind: the unit tests and a
# short integration subset.
check-valgrind: $(PROG) $(UNIT_BIN)
	$(Q)set -e; for t in $(UNIT_BIN); do echo "  VALGRIND $$t"; \
	    valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect $$t >/dev/null; done
	$(Q)SENDREPORTS_BIN=$(abspath $(PROG)) SENDREPORTS_VALGRIND=1 \
	    $(PYTHON) -m pytest -q -p no:cacheprovider -m valgrind \
	    tests/integration

# Crash-state exploration (tests/crash/crashcheck.py): the file operations
# of a send and of a flush recorded with strace, every state a power cut
# can leave of them built, and the program run again on each and checked
# against the promises.  crashcheck-quick (in make check, on the
# unsanitized tree of check-valgrind: a few hundred states, four runs
# each) explores the systematic states of every crash point; crashcheck
# adds random ones (CRASHCHECK_ARGS="--random 40 --seed 7" for more, -v
# to list them; SANITIZE=address,undefined runs them sanitized).
CRASHCHECK	:= $(PYTHON) tests/crash/crashcheck.py
CRASHCHECK_ARGS	?=
crashcheck: deps
	$(Q)$(MAKE) --no-print-directory DEPS= crashcheck-run

crashcheck-run: $(PROG)
	$(Q)$(CRASHCHECK) --bin $(PROG) $(CRASHCHECK_ARGS)

crashcheck-quick: $(PROG)
	$(Q)$(PYTHON) -m pytest -q -p no:cacheprovider tests/crash
	$(Q)$(CRASHCHECK) --bin $(PROG) --quick $(CRASHCHECK_ARGS)


# Speed and memory, side by side in one run, never part of make check:
# bench/bench_{idle,send,flush,render}.py, each workload against its
# peers, into bench/results.md (rewritten by each run).  It installs what
# it needs (Debian's python3-django, python3-reportlab, strace ...), builds
# the dynamic binary and the static one (make static; BENCH_STATIC=0
# skips it, and a failed static build is noted, not fatal), and fetches
# the mail peers' .debs into build/bench/peers (bench/peers.sh: extracted,
# never installed).  BENCH_QUICK=1: small workloads, for working on the
# harness only.
BENCH_DIR	:= build/bench
BENCH_SCRIPTS	:= bench/bench_idle.py bench/bench_send.py \
		   bench/bench_flush.py bench/bench_render.py
BENCH_PACKAGES	:= python3 python3-django python3-reportlab strace sqlite3 \
		   poppler-utils file
BENCH_STATIC	?= 1
STATIC_PROG	= build/$(CROSS_HOST_ARCH)/sendreports
bench:
	$(Q)sh scripts/deps.sh --build $(BENCH_PACKAGES)
	$(Q)$(MAKE) --no-print-directory DEPS= $(PROG)
	$(Q)mkdir -p $(BENCH_DIR)
	$(Q)rm -f $(BENCH_DIR)/static-note; \
	if [ "$(BENCH_STATIC)" = 0 ]; then \
	    echo "BENCH_STATIC=0" > $(BENCH_DIR)/static-note; \
	elif ! $(MAKE) --no-print-directory static; then \
	    echo "make static failed (cross toolchain or sources not" \
	        "available); see its output" > $(BENCH_DIR)/static-note; \
	fi
	@echo "  CC      $(BENCH_DIR)/runrss $(BENCH_DIR)/durable"
	$(Q)for t in runrss durable; do \
	    $(CC) -O2 -static -o $(BENCH_DIR)/$$t bench/$$t.c 2>/dev/null || \
	    $(CC) -O2 -o $(BENCH_DIR)/$$t bench/$$t.c || exit 1; done
	$(Q)printf 'int main(void){return 0;}\n' | \
	    $(CC) -O2 -static -x c -o $(BENCH_DIR)/empty - 2>/dev/null || \
	    printf 'int main(void){return 0;}\n' | \
	    $(CC) -O2 -x c -o $(BENCH_DIR)/empty -
	$(Q)sh bench/peers.sh $(BENCH_DIR)/peers
	$(Q)export SENDREPORTS_BIN=$(abspath $(PROG)); \
	if [ -s $(BENCH_DIR)/static-note ]; then \
	    export SENDREPORTS_STATIC_BIN= \
	        SENDREPORTS_STATIC_NOTE="$$(cat $(BENCH_DIR)/static-note)"; \
	else export SENDREPORTS_STATIC_BIN=$(abspath $(STATIC_PROG)); fi; \
	$(PYTHON) bench/benchlib.py start || exit 1; failed=""; \
	for b in $(BENCH_SCRIPTS); do echo "  BENCH   $$b"; \
	    $(PYTHON) $$b || failed="$$failed $$b"; done; \
	$(PYTHON) bench/benchlib.py finish $$failed; \
	echo "  RESULTS bench/results.md"; [ -z "$$failed" ]

# deps first, then the build in a second make: never both at once.
demo: deps
	$(Q)$(MAKE) --no-print-directory DEPS= $(PROG)
	$(Q)sh scripts/demo.sh $(PROG) $(BUILD)/demo

# The binary, stripped, its send_scheduled_reports link, the configuration
# (never overwritten), the state directories, the sendreports user (real
# root only), and the files of etc/ with the installed paths in them
# (scripts/install.sh).  install-strip is where the GNU conventions put
# a stripped install: the same.
install: $(PROG)
	$(Q)DESTDIR=$(DESTDIR) BINDIR=$(BINDIR) SYSCONFDIR=$(SYSCONFDIR) \
	    DATADIR=$(DATADIR) SYSTEMDDIR=$(SYSTEMDDIR) INSTALL="$(INSTALL)" \
	    STRIP="$(STRIP)" INIT=$(INIT) SENDMAIL=$(SENDMAIL) \
	    sh scripts/install.sh host $(PROG)

install-strip: install

clean:
	rm -rf build

# Fuzzing (tests/fuzz/): one libFuzzer target per tests/fuzz/fuzz_NAME.c,
# linked with clang's -fsanitize=fuzzer against the library built again
# with clang and -fsanitize=fuzzer-no-link,address,undefined in
# $(FUZZ_BUILD).  Seeds and the inputs that once failed are committed in
# tests/fuzz/corpus/NAME; what a run finds stays in $(FUZZ_BUILD)/corpus.
#
#   make fuzz [FUZZ_SECONDS=60]   each target FUZZ_SECONDS seconds
#   make fuzz-replay              each target over its seeds, once
#   make fuzz-check               the replay, then FUZZ_CHECK_SECONDS (30)
#                                 seconds of fuzzing shared by the
#                                 targets: the step of make check
FUZZ_BUILD	?= build/fuzz
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_CHECK_SECONDS ?= 30
FUZZ_PACKAGES	:= clang libclang-rt-14-dev llvm
FUZZ_NAMES	:= $(patsubst tests/fuzz/fuzz_%.c,%,\
		   $(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BIN	:= $(FUZZ_NAMES:%=$(BUILD)/fuzzers/fuzz_%)
# DATA_PIECE: the fallback PDF's rows are read in pieces of this many
# bytes (src/render_data.c); 64 KB would leave the cutting unfuzzed.
FUZZ_VARS	:= DEPS= BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) DEVELOPER=1 \
		   SANITIZE=fuzzer-no-link,address,undefined \
		   CFLAGS=-DDATA_PIECE=8
FUZZ_RUN	:= sh tests/fuzz/run.sh $(FUZZ_BUILD)

.PHONY: fuzz fuzz-replay fuzz-check fuzz-build fuzz-targets

fuzz: fuzz-build
	$(Q)$(FUZZ_RUN) fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-replay: fuzz-build
	$(Q)$(FUZZ_RUN) replay 0 $(FUZZ_NAMES)

fuzz-check: fuzz-build
	$(Q)$(FUZZ_RUN) check $(FUZZ_CHECK_SECONDS) $(FUZZ_NAMES)

# The packages first (DEPS= for none, as make check passes), then the
# build in a second make with clang's variables.
fuzz-build:
	$(if $(DEPS),$(Q)sh scripts/deps.sh --build $(FUZZ_PACKAGES))
	$(Q)$(MAKE) --no-print-directory $(FUZZ_VARS) fuzz-targets

# Only in that second make: gcc has no -fsanitize=fuzzer.
fuzz-targets: $(FUZZ_BIN)

$(BUILD)/fuzzers/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(PROG_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -fsanitize=fuzzer \
	    $(PROG_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(PROG_LIBS)

include cross/cross.mk

-include $(LIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)

# SPDX-License-Identifier: Apache-2.0
# vouch - one GNU Makefile for the library, the CLI, vouchfs, the preload
# shim, the tests, the fuzzers and the benchmarks.
#
#   make deps    install missing Debian packages (apt-get; needs root)
#   make         build everything under $(BUILD)/
#   make demo    sign, verify, mount, load, tamper: the main job end to end
#   make test    every test, plus the ASan+UBSan build of the unit and CLI tests
#   make bench   speed and memory, as ratios measured side by side
#   make fuzz    longer libFuzzer runs (FUZZ_SECONDS per harness)
#   make install PREFIX=/usr/local DESTDIR=
#   make deb     build/vouch_VERSION_ARCH.deb with dpkg-buildpackage (debian/)

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= /etc/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR    ?=
CC         ?= cc
PKG_CONFIG ?= pkg-config
BUILD      ?= build
SAN        ?= 0
V          ?= 0
FUZZ_SECONDS ?= 60

# Debian packages: build, runtime, and what the tests drive for real.
DEB_BUILD := build-essential pkg-config libsodium-dev libssl-dev libjansson-dev \
	libinih-dev libfuse3-dev fuse3 libsystemd-dev clang libclang-rt-14-dev cppcheck libtss2-dev \
	debhelper devscripts
DEB_TEST  := rsyslog python3-torch python3-numpy python3-sklearn python3-joblib \
	nginx qemu-system-x86 qemu-utils debootstrap softhsm2 opensc \
	libengine-pkcs11-openssl passwd util-linux btrfs-progs strace curl openssl logrotate b3sum \
	python3-jsonschema prometheus lintian podman runc bash-completion swtpm swtpm-tools tpm2-tools \
	systemd
DEB_PKGS  := $(DEB_BUILD) $(DEB_TEST)

ifeq ($(V),0)
Q = @
say = @printf '  %-7s %s\n' $(1) $(2);
else
Q =
say =
endif

# pkg-config per dependency, with the Debian package to install when missing.
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)
need_pkg  = $(if $(shell $(PKG_CONFIG) --exists $(1) && echo y),,$(error pkg-config cannot find $(1): run 'make deps' or apt-get install $(2)))

NODEPS_GOALS := deps clean demo test help
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
$(call need_pkg,libsodium,libsodium-dev)
$(call need_pkg,libcrypto,libssl-dev)
$(call need_pkg,jansson,libjansson-dev)
$(call need_pkg,inih,libinih-dev)
$(call need_pkg,fuse3,libfuse3-dev)
$(call need_pkg,libsystemd,libsystemd-dev)
# The TPM (attest = yes, vouch attest): tpm2-tss headers only.  libvouch
# dlopens libtss2-esys/libtss2-tctildr when a measurement or quote first
# needs them, so the preload shim (libvouch in every shimmed process) and
# hosts without a TPM carry no TSS (src/lib/attest_tpm.c).
$(call need_pkg,tss2-esys,libtss2-dev)
$(call need_pkg,tss2-tctildr,libtss2-dev)
endif

LIB_PKGS := libsodium libcrypto jansson inih

WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	   -Wno-unused-parameter -Wvla -Wpointer-arith
ifeq ($(CI),true)
WARN    += -Werror
endif
HARDEN  := -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIC
LDHARD  := -Wl,-z,relro,-z,now -Wl,-z,noexecstack
CFLAGS  ?= -O2 -g
ifeq ($(SAN),1)
# Added to the user's CFLAGS (a later -O1 wins over an earlier -O2).
override CFLAGS += -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
else
HARDEN  += -D_FORTIFY_SOURCE=3
LDSAN   :=
endif
# Front ends see include/ only: a private libvouch header (src/lib/*_i.h) is
# reachable from libvouch's own sources (same directory) and from the unit
# tests, never from src/cli, src/fs or src/preload.
# The version: `git describe` in a checkout, else the VERSION file (a release
# tarball).
VERSION := $(or $(shell git describe --tags --always --dirty 2>/dev/null),$(shell cat VERSION 2>/dev/null),unknown)

# The default config path is compiled in: build and install with the same
# SYSCONFDIR (make SYSCONFDIR=/opt/etc && make install SYSCONFDIR=/opt/etc).
CPPFLAGS_ALL := -std=gnu11 -D_GNU_SOURCE -Iinclude -DVOUCH_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DVOUCH_VERSION='"$(VERSION)"' \
	$(call pc_cflags,$(LIB_PKGS) tss2-esys tss2-tctildr) -MMD -MP
ALL_CFLAGS   := $(CPPFLAGS_ALL) $(WARN) $(HARDEN) $(CFLAGS)
LIB_LIBS     := $(call pc_libs,$(LIB_PKGS)) -lpthread
EXE_LDFLAGS  := -pie $(LDHARD) $(LDSAN) $(LDFLAGS)

LIB_SRC   := $(sort $(wildcard src/lib/*.c))
CLI_SRC   := $(sort $(wildcard src/cli/*.c))
FS_SRC    := $(sort $(wildcard src/fs/*.c))
PRE_SRC   := $(sort $(wildcard src/preload/*.c))
DMN_SRC   := $(sort $(wildcard src/daemon/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/*.c))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/*.c))
HELP_SRC  := $(sort $(wildcard tests/helpers/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ  := $(call obj,$(LIB_SRC))
LIBVOUCH := $(BUILD)/lib/libvouch.a
VOUCH    := $(BUILD)/bin/vouch
VOUCHFS  := $(BUILD)/bin/vouchfs
PRELOAD  := $(BUILD)/lib/libvouch-preload.so
VOUCHD   := $(BUILD)/bin/vouchd
UNITS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
HELPERS  := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%,$(HELP_SRC))

TARGETS := $(LIBVOUCH) $(VOUCH)
ifneq ($(FS_SRC),)
TARGETS += $(VOUCHFS)
endif
ifneq ($(PRE_SRC),)
TARGETS += $(PRELOAD)
endif
ifneq ($(DMN_SRC),)
TARGETS += $(VOUCHD)
endif

.PHONY: all deps demo test check check-san bench fuzz fuzz-build install clean help programs deb
.DEFAULT_GOAL := all

all: $(TARGETS) $(UNITS) $(HELPERS)

# What `make install` installs, without the tests (debian/rules builds this).
programs: $(TARGETS)

help:
	@sed -n '2,14p' Makefile

deps:
	$(Q)sh tests/deps.sh $(DEB_PKGS)

$(BUILD)/obj/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBVOUCH): $(LIB_OBJ)
	$(call say,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(VOUCH): $(call obj,$(CLI_SRC)) $(LIBVOUCH)
	$(call say,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(EXE_LDFLAGS) -o $@ $^ $(LIB_LIBS)

$(VOUCHFS): $(call obj,$(FS_SRC)) $(LIBVOUCH)
	$(call say,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(EXE_LDFLAGS) -o $@ $^ $(LIB_LIBS) $(call pc_libs,fuse3 libsystemd)

$(call obj,$(FS_SRC)): ALL_CFLAGS += $(call pc_cflags,fuse3 libsystemd)

$(VOUCHD): $(call obj,$(DMN_SRC)) $(LIBVOUCH)
	$(call say,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(EXE_LDFLAGS) -Wl,--export-dynamic-symbol=vouch_preload_exempt -o $@ $^ \
		$(LIB_LIBS) $(call pc_libs,libsystemd)

$(call obj,$(DMN_SRC)): ALL_CFLAGS += $(call pc_cflags,libsystemd)

# The shim carries its own private copies of its dependencies (static, hidden),
# so no program's libcrypto/inih can clash with them; only the wrapped libc
# symbols are exported (src/preload/exports.map).  Debian 12 ships libsodium.a
# and libjansson.a without -fPIC ("relocation R_X86_64_PC32 ... recompile with
# -fPIC"), so those two cannot go into a shared object: they are linked
# dynamically (the distro's libsodium.so.23/libjansson.so.4; see docs/preload.md).
PRE_STATIC := -Wl,-Bstatic -lcrypto -linih -Wl,-Bdynamic -lsodium -ljansson
$(call obj,$(PRE_SRC)): ALL_CFLAGS += -fvisibility=hidden
$(PRELOAD): $(call obj,$(PRE_SRC)) $(LIB_OBJ)
	$(call say,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -shared $(LDHARD) $(LDSAN) -Wl,--version-script=src/preload/exports.map \
		-Wl,--exclude-libs,ALL -o $@ $^ $(PRE_STATIC) -ldl -lpthread

$(BUILD)/tests/%: tests/unit/%.c $(LIBVOUCH)
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc/lib -Itests/unit $(EXE_LDFLAGS) -o $@ $< $(LIBVOUCH) $(LIB_LIBS)

$(BUILD)/tests/%: tests/helpers/%.c $(LIBVOUCH)
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(EXE_LDFLAGS) -o $@ $< $(LIBVOUCH) $(LIB_LIBS) $(HELPER_LIBS)

# The plainest FUSE file system, the floor bench/stream.sh measures reopens against.
$(BUILD)/tests/nullfs: ALL_CFLAGS += $(call pc_cflags,fuse3)
$(BUILD)/tests/nullfs: HELPER_LIBS = $(call pc_libs,fuse3)

# libFuzzer harnesses: clang, ASan+UBSan, one per parser.
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
# (-Wno-unknown-warning-option: clang does not know the gcc -fanalyzer groups
# some src/lib pragmas name.)
FUZZ_BASE   := -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc/lib $(call pc_cflags,$(LIB_PKGS) tss2-esys) \
	-g -O1 -Wno-unknown-warning-option
FUZZ_CFLAGS := $(FUZZ_BASE) -fsanitize=fuzzer,address,undefined
# libvouch once for every harness (instrumented, not linked with libFuzzer's main).
FUZZ_LIB     := $(BUILD)/fuzz/libvouch-fuzz.a
FUZZ_LIB_OBJ := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRC))
$(BUILD)/fuzz/obj/%.o: %.c
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_BASE) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<
$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	$(call say,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB) $(LIB_LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	$(Q)for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p $(BUILD)/fuzz/corpus-$$n; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $(BUILD)/fuzz/corpus-$$n tests/fuzz/seeds/$$n || exit 1; done

# `make analyze`: gcc -fanalyzer over every source in src/, with the flags of
# the build (and each front end's own), warnings as errors; one object per
# source under $(BUILD)/analyze, thrown away (tests/cases/static-analysis.sh
# runs it in a fresh BUILD, so no object outlives a header it read).
ANA_SRC := $(LIB_SRC) $(CLI_SRC) $(FS_SRC) $(PRE_SRC) $(DMN_SRC)
ANA_OBJ := $(patsubst %.c,$(BUILD)/analyze/%.o,$(ANA_SRC))
.PHONY: analyze
analyze: $(ANA_OBJ)
$(BUILD)/analyze/%.o: %.c
	$(call say,ANALYZE,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fanalyzer -Werror -c -o $@ $<
$(patsubst %.c,$(BUILD)/analyze/%.o,$(FS_SRC)): ALL_CFLAGS += $(call pc_cflags,fuse3 libsystemd)
$(patsubst %.c,$(BUILD)/analyze/%.o,$(DMN_SRC)): ALL_CFLAGS += $(call pc_cflags,libsystemd)
$(patsubst %.c,$(BUILD)/analyze/%.o,$(PRE_SRC)): ALL_CFLAGS += -fvisibility=hidden

# `make test` and `make demo` install what is missing first, then build in a
# fresh make (so pkg-config sees the newly installed packages).
test: deps
	$(Q)$(MAKE) --no-print-directory all fuzz-build
	$(Q)$(MAKE) --no-print-directory BUILD=build/san SAN=1 all
	$(Q)$(MAKE) --no-print-directory check

check:
	$(Q)tests/run

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh examples/demo.sh

bench: all
	$(Q)sh bench/run.sh

# The unit files name /usr/local/bin, /usr/local/lib, /usr/local/share and
# /etc: rewritten for the chosen BINDIR, LIBDIR, PREFIX and SYSCONFDIR as
# they are installed.
fix_paths = sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/lib/|$(LIBDIR)/|g' \
	-e 's|/usr/local/share/|$(PREFIX)/share/|g' -e 's|/etc/vouch/|$(SYSCONFDIR)/vouch/|g' $(1)

install: programs
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/vouch \
		$(DESTDIR)$(UNITDIR)
	install -m 0755 $(filter $(BUILD)/bin/%,$(TARGETS)) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(LIBVOUCH) $(DESTDIR)$(LIBDIR)/
	$(if $(filter $(PRELOAD),$(TARGETS)),install -m 0755 $(PRELOAD) $(DESTDIR)$(LIBDIR)/)
	# The man pages name the installed paths too (e.g. the shim's).
	for m in man/*.[158]; do $(call fix_paths,$$m) >$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/} && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}; done
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 completions/vouch completions/vouchfs $(DESTDIR)$(BASHCOMPDIR)/
	# 0644, in a 0755 directory: the config holds no secret, and the preload
	# shim reads it as whatever user a service runs as.  An admin's existing
	# config is kept as it is, with a word if other users cannot read it.
	test -e $(DESTDIR)$(SYSCONFDIR)/vouch/vouch.conf || \
		install -m 0644 config/vouch.conf $(DESTDIR)$(SYSCONFDIR)/vouch/vouch.conf
	@find -L $(DESTDIR)$(SYSCONFDIR)/vouch/vouch.conf ! -perm -0004 -exec echo \
		"warning: {} is not readable by other users: the preload shim cannot read it" \
		"in a service that runs as another user (it holds no secret: chmod 0644)" \;
	for u in systemd/*.service systemd/*.socket systemd/*.timer; do $(call fix_paths,$$u) >$(DESTDIR)$(UNITDIR)/$${u#systemd/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u#systemd/}; done
	# The preload drop-in is a template for SERVICE.service.d/ (docs/preload.md),
	# not a unit: it goes where an admin copies it from, PREFIX/share/vouch/
	# (libvouch-preload(8) and docs/preload.md say so).
	install -d $(DESTDIR)$(PREFIX)/share/vouch
	for u in systemd/*.conf; do $(call fix_paths,$$u) >$(DESTDIR)$(PREFIX)/share/vouch/$${u#systemd/} && \
		chmod 0644 $(DESTDIR)$(PREFIX)/share/vouch/$${u#systemd/}; done

# `make deb`: a copy of the source under $(BUILD)/deb, dpkg-buildpackage -b
# there (debian/rules calls `make programs` and `make install`), the package
# left as $(BUILD)/vouch_VERSION_ARCH.deb; nothing is written in the tree.
deb:
	$(Q)sh debian/make-deb.sh $(BUILD)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)

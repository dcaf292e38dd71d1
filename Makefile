# SPDX-License-Identifier: GPL-2.0-or-later
# mnguard top-level build. See HACKING.md.
#
#   make                 build the library, tools and tests
#   make check           run every test (installs missing Debian packages first)
#   make check SANITIZE=1   the same under ASan+UBSan (separate build tree)
#   make fuzz            build and run the libFuzzer harnesses (clang)
#   make bench           benchmarks against the peers they name
#   make demo            judge the shipped baseline policy against a recorded device tree
#   make install DESTDIR= PREFIX=

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DATADIR    ?= $(PREFIX)/share/mnguard

CC         ?= cc
CLANG      ?= clang
PKG_CONFIG ?= pkg-config
WERROR     ?= 1
SANITIZE   ?=

ifeq ($(SANITIZE),1)
BUILD      ?= build/san
SANFLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD      ?= build/default
SANFLAGS   :=
endif

PKGS       := libcrypto json-c libudev
PAM_PKGS   := libfido2 pam
SOFTKEY_PKGS := libfido2 libcbor libcrypto
LOCALEDIR  ?= $(PREFIX)/share/locale
PAMDIR     ?= /lib/x86_64-linux-gnu/security
TEST_PKGS  := cmocka umockdev-1.0 libpamtest libfido2 libcbor

WARN       := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
              -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN       += -Werror
endif
HARDEN     := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIC
OPT        ?= -O2 -g
CFLAGS_ALL := -std=gnu11 $(OPT) $(WARN) $(HARDEN) $(SANFLAGS) -Ilib \
              -DLOCALEDIR='"$(LOCALEDIR)"' \
              $(shell $(PKG_CONFIG) --cflags $(PKGS) $(PAM_PKGS) 2>/dev/null) $(CFLAGS)
LDFLAGS_ALL:= -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SANFLAGS) $(LDFLAGS)
LIBS_ALL   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
PAM_LIBS   := $(shell $(PKG_CONFIG) --libs $(PAM_PKGS) 2>/dev/null)
SOFTKEY_LIBS := $(shell $(PKG_CONFIG) --libs $(SOFTKEY_PKGS) 2>/dev/null) -ldl
LDFLAGS_SO := -shared -Wl,-z,relro,-z,now -Wl,--as-needed -Wl,-z,defs $(SANFLAGS) $(LDFLAGS)
TEST_CFLAGS:= $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS  := $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

LIB_SRC    := $(wildcard lib/*.c)
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBA       := $(BUILD)/libmnguard.a

CTL_SRC    := $(wildcard tools/mnguardctl*.c tools/ctl_*.c)
CTL_OBJ    := $(CTL_SRC:%.c=$(BUILD)/%.o)
CTL        := $(BUILD)/mnguardctl

AGENT_SRC  := $(wildcard agent/*.c)
AGENT_OBJ  := $(AGENT_SRC:%.c=$(BUILD)/%.o)
ifneq ($(wildcard agent/mnguardd.c),)
AGENT      := $(BUILD)/mnguardd
endif

# mnguard-helpdesk: the help desk's tool (tools/mnguard-helpdesk.c + tools/helpdesk_*.c)
HD_SRC     := $(wildcard tools/mnguard-helpdesk.c tools/helpdesk_*.c)
HD_OBJ     := $(HD_SRC:%.c=$(BUILD)/%.o)
ifneq ($(wildcard tools/mnguard-helpdesk.c),)
HELPDESK   := $(BUILD)/mnguard-helpdesk
endif

# pam_mnguard.so: only the pam_sm_* symbols are exported (pam_module/pam_mnguard.map).
PAM_SRC    := $(wildcard pam_module/*.c)
PAM_OBJ    := $(PAM_SRC:%.c=$(BUILD)/%.o)
ifneq ($(wildcard pam_module/pam_mnguard.c),)
PAM_SO     := $(BUILD)/pam_mnguard.so
endif

# The software FIDO2 authenticator (tests only): a preloadable library that
# plugs into libfido2, and its control tool.
SOFTKEY_SRC := $(filter-out tests/softkey/softkey-ctl.c,$(wildcard tests/softkey/*.c))
SOFTKEY_OBJ := $(SOFTKEY_SRC:%.c=$(BUILD)/%.o)
ifneq ($(wildcard tests/softkey/softkey.c),)
SOFTKEY_SO  := $(BUILD)/tests/libsoftkey.so
SOFTKEY_CTL := $(BUILD)/tests/softkey-ctl
endif

# Translations: po/LANG.po -> $(BUILD)/locale/LANG/LC_MESSAGES/mnguard.mo
PO_SRC     := $(wildcard po/*.po)
MO_OUT     := $(PO_SRC:po/%.po=$(BUILD)/locale/%/LC_MESSAGES/mnguard.mo)

TEST_SRC   := $(wildcard tests/unit/test_*.c)
TEST_BIN   := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELP  := $(wildcard tests/unit/helpers/*.c)
TEST_HOBJ  := $(TEST_HELP:%.c=$(BUILD)/%.o)

FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN   := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_RUNS  ?= 200000

BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
BENCH_CXX  := $(wildcard bench/*.cpp)
BENCH_CXXBIN := $(BENCH_CXX:bench/%.cpp=$(BUILD)/bench/%)

MANPAGES   := $(wildcard docs/*.[1-8])

# Feature fragments (mk/*.mk): each builds and tests one part of its own and may
# append to EXTRA_ALL (built by `make`), EXTRA_CHECKS (scripts that `make check`
# runs, each printing PASS:/FAIL: lines), EXTRA_TEST_ENV (VAR=value pairs the
# tests see) and EXTRA_INSTALL (targets that `make install` runs).
EXTRA_ALL      :=
EXTRA_CHECKS   :=
EXTRA_TEST_ENV :=
EXTRA_INSTALL  :=
include $(sort $(wildcard mk/*.mk))

# Keep intermediate objects (test objects would otherwise be deleted and rebuilt every time).
.SECONDARY:
.PHONY: FORCE all deps check check-all check-unit check-docs fuzz fuzz-build bench bench-build demo install clean

all: $(LIBA) $(CTL) $(AGENT) $(HELPDESK) $(PAM_SO) $(SOFTKEY_SO) $(SOFTKEY_CTL) $(MO_OUT) $(TEST_BIN) \
	$(EXTRA_ALL)

deps:
	@sh tools/install-deps.sh

# Objects depend on the flags they were built with: a change of flags
# (SANITIZE, -fPIC, LOCALEDIR, ...) rebuilds them instead of mixing builds.
$(BUILD)/.flags: FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS)' > $@

FORCE:

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: tests/unit/%.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -Itests/unit -MMD -MP -c -o $@ $<

$(BUILD)/tests/unit/helpers/%.o: tests/unit/helpers/%.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(TEST_CFLAGS) -Itests/unit -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(CTL): $(CTL_OBJ) $(LIBA)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CTL_OBJ) $(LIBA) $(LIBS_ALL) $(PAM_LIBS)

$(BUILD)/mnguardd: $(AGENT_OBJ) $(LIBA)
	$(CC) $(LDFLAGS_ALL) -o $@ $(AGENT_OBJ) $(LIBA) $(LIBS_ALL)

$(BUILD)/mnguard-helpdesk: $(HD_OBJ) $(LIBA)
	$(CC) $(LDFLAGS_ALL) -o $@ $(HD_OBJ) $(LIBA) $(LIBS_ALL) $(PAM_LIBS)

$(BUILD)/pam_mnguard.so: $(PAM_OBJ) $(LIBA) pam_module/pam_mnguard.map
	$(CC) $(LDFLAGS_SO) -Wl,--version-script=pam_module/pam_mnguard.map -o $@ $(PAM_OBJ) \
		$(LIBA) $(LIBS_ALL) $(PAM_LIBS)

$(BUILD)/tests/libsoftkey.so: $(SOFTKEY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_SO) -o $@ $(SOFTKEY_OBJ) $(SOFTKEY_LIBS)

$(BUILD)/tests/softkey-ctl: $(BUILD)/tests/softkey/softkey-ctl.o $(SOFTKEY_OBJ)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(SOFTKEY_LIBS)

$(BUILD)/locale/%/LC_MESSAGES/mnguard.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_HOBJ) $(LIBA)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(TEST_HOBJ) $(LIBA) $(LIBS_ALL) $(TEST_LIBS)

SCRIPT_TESTS := $(wildcard tests/integration/test_*.sh) $(EXTRA_CHECKS) tests/check-docs.sh
TEST_ENV     := MNG_BUILD=$(BUILD) MNG_CTL=$(CTL) MNG_AGENT=$(AGENT) MNG_PAM=$(PAM_SO) \
	MNG_HELPDESK=$(HELPDESK) MNG_SOFTKEY=$(SOFTKEY_SO) MNG_SOFTKEY_CTL=$(SOFTKEY_CTL) $(EXTRA_TEST_ENV)

# The public targets install missing packages first, then re-enter make so
# that pkg-config is asked for flags only once the packages are there.
check: deps
	@$(MAKE) --no-print-directory check-all

check-all: all
	@$(TEST_ENV) sh tests/run-unit.sh $(TEST_BIN) $(SCRIPT_TESTS)

check-unit: all
	@$(TEST_ENV) sh tests/run-unit.sh $(TEST_BIN)

check-docs: $(CTL)
	@MNG_CTL=$(CTL) sh tests/run-unit.sh tests/check-docs.sh

# ---- fuzzing (clang + libFuzzer, always with ASan+UBSan) ----
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Ilib -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRC) $(LIBS_ALL)

fuzz-build: $(FUZZ_BIN)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_RUNS) $(FUZZ_BIN)

# ---- benchmarks ----
$(BUILD)/bench/%: bench/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -O3 -o $@ $< $(LDFLAGS_ALL) $(LIBA) $(LIBS_ALL)

$(BUILD)/bench/%: bench/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O2 -o $@ $< $(shell $(PKG_CONFIG) --cflags --libs libusbguard)

bench: deps
	@$(MAKE) --no-print-directory bench-build
	@MNG_BUILD=$(BUILD) sh bench/run.sh

bench-build: $(BENCH_BIN) $(BENCH_CXXBIN) $(CTL) $(AGENT) $(PAM_SO) $(SOFTKEY_SO) $(SOFTKEY_CTL)

demo: deps
	@$(MAKE) --no-print-directory all
	@MNG_CTL=$(CTL) MNG_AGENT=$(AGENT) sh tools/demo.sh

install: $(CTL) $(AGENT) $(HELPDESK) $(PAM_SO) $(MO_OUT) $(EXTRA_INSTALL)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/mnguard/rules.d $(DESTDIR)$(DATADIR)/rules
	install -m 0755 $(CTL) $(DESTDIR)$(SBINDIR)/mnguardctl
	[ -z "$(AGENT)" ] || install -m 0755 $(AGENT) $(DESTDIR)$(SBINDIR)/mnguardd
	[ -z "$(HELPDESK)" ] || install -m 0755 $(HELPDESK) $(DESTDIR)$(BINDIR)/mnguard-helpdesk
	[ -z "$(PAM_SO)" ] || { install -d $(DESTDIR)$(PAMDIR) && \
		install -m 0644 $(PAM_SO) $(DESTDIR)$(PAMDIR)/pam_mnguard.so; }
	for mo in $(MO_OUT); do l=$${mo#$(BUILD)/locale/}; l=$${l%%/*}; \
		install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES; \
		install -m 0644 $$mo $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/mnguard.mo; done
	install -m 0644 rules/*.rules $(DESTDIR)$(DATADIR)/rules/
	[ -e $(DESTDIR)$(SYSCONFDIR)/mnguard/rules.d/90-mynumber-terminal.rules ] || \
		install -m 0644 rules/mynumber-terminal.rules \
		$(DESTDIR)$(SYSCONFDIR)/mnguard/rules.d/90-mynumber-terminal.rules
	for m in $(MANPAGES); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CTL_OBJ:.o=.d) $(AGENT_OBJ:.o=.d) $(PAM_OBJ:.o=.d) $(SOFTKEY_OBJ:.o=.d) $(HD_OBJ:.o=.d) $(TEST_BIN:%=%.d)

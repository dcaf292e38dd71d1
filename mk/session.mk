# SPDX-License-Identifier: GPL-2.0-or-later
# mnguard-session (agent/session/): the per-user clipboard guard and desktop
# notifier, started by XDG autostart (packaging/xdg/mnguard-session.desktop).
#
#   $(BUILD)/mnguard-session   libmnguard + json-c + Xlib, XFixes, XRes, libnotify
#
# tests/integration/test_session.sh runs it under Xvfb with xclip, xsel and
# dunst; it finds it through MNG_SESSION. bench/session.sh measures it.
# tests/unit/test_agent_keylock.c and test_session.sh stand a private
# dbus-daemon and logind-stub in for the system bus and logind.

SESSION_PKGS   := x11 xfixes xres libnotify
SESSION_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(SESSION_PKGS) 2>/dev/null)
SESSION_LIBS   := $(shell $(PKG_CONFIG) --libs $(SESSION_PKGS) 2>/dev/null)
XDGAUTOSTARTDIR ?= $(SYSCONFDIR)/xdg/autostart

SESSION_SRC    := $(wildcard agent/session/*.c)
SESSION_OBJ    := $(SESSION_SRC:agent/session/%.c=$(BUILD)/session/%.o)
SESSION_BIN    := $(BUILD)/mnguard-session

SESSION_LAT    := $(BUILD)/tests/session-latency

# lock on key removal (agent/keylock.c) asks logind over the system bus with
# sd-bus: mnguardd alone links libsystemd.
$(BUILD)/mnguardd: LIBS_ALL += $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null)

# the tests' stand-in for logind (tests/session/logind-stub.c), found through MNG_LOGIND_STUB
LOGIND_STUB    := $(BUILD)/tests/logind-stub

EXTRA_ALL      += $(SESSION_BIN) $(SESSION_LAT) $(LOGIND_STUB)
EXTRA_TEST_ENV += MNG_SESSION=$(SESSION_BIN) MNG_LOGIND_STUB=$(LOGIND_STUB)
EXTRA_INSTALL  += install-session

# the Debian package ships it (packaging/debian/mnguard.install)
programs: $(SESSION_BIN)

$(BUILD)/session/%.o: agent/session/%.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(SESSION_CFLAGS) -MMD -MP -c -o $@ $<

$(SESSION_BIN): $(SESSION_OBJ) $(LIBA)
	$(CC) $(LDFLAGS_ALL) -o $@ $(SESSION_OBJ) $(LIBA) $(LIBS_ALL) $(SESSION_LIBS)

# bench/session.sh: the copying application that times the guard
$(SESSION_LAT): tests/session/latency.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(SESSION_CFLAGS) $(LDFLAGS_ALL) -o $@ $< $(SESSION_LIBS)

.PHONY: install-session
install-session: $(SESSION_BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(XDGAUTOSTARTDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(SESSION_BIN) $(DESTDIR)$(BINDIR)/mnguard-session
	sed -e 's|@BINDIR@|$(BINDIR)|g' packaging/xdg/mnguard-session.desktop \
		> $(DESTDIR)$(XDGAUTOSTARTDIR)/mnguard-session.desktop
	chmod 0644 $(DESTDIR)$(XDGAUTOSTARTDIR)/mnguard-session.desktop

$(LOGIND_STUB): tests/session/logind-stub.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null)

-include $(SESSION_OBJ:.o=.d)

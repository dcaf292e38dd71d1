# SPDX-License-Identifier: GPL-2.0-or-later
# Debian packaging (packaging/): the system files "make install" adds, the
# Debian packages and their test.
#
#   make programs     the installed programs only (no tests): what the packages ship
#   make deb          dpkg-buildpackage -us -uc -b into build/deb/, then lintian
#                     (warnings fail the build)
#   make check-deb    build the packages, install them with apt into a fresh
#                     Debian 12 chroot, check them, purge them (root; see
#                     tests/packaging/test_packaging.sh)

# This fragment is read before the top-level Makefile names its first target.
.DEFAULT_GOAL := all

UNITDIR      ?= /lib/systemd/system
UDEVRULESDIR ?= /lib/udev/rules.d
LIBEXECDIR   ?= $(PREFIX)/libexec/mnguard
PAMCONFDIR   ?= $(PREFIX)/share/pam-configs
LOGROTATEDIR ?= $(SYSCONFDIR)/logrotate.d

DEB_VERSION  := $(shell sed -n '1s/.*(\(.*\)).*/\1/p' packaging/debian/changelog)
DEB_UPSTREAM := $(firstword $(subst -, ,$(DEB_VERSION)))
DEB_OUT      := build/deb
DEB_SRC      := $(DEB_OUT)/mnguard-$(DEB_UPSTREAM)
DEB_ARCH     := $(shell dpkg --print-architecture 2>/dev/null)
DEB_CHANGES  := $(DEB_OUT)/mnguard_$(DEB_VERSION)_$(DEB_ARCH).changes

EXTRA_INSTALL += install-system

.PHONY: programs install-system deb check-deb

programs: $(CTL) $(AGENT) $(HELPDESK) $(PAM_SO) $(MO_OUT)

# Units name the programs by their installed paths.
install-system:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(PAMCONFDIR) $(DESTDIR)$(LOGROTATEDIR) $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/mnguard/rules.d
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' packaging/systemd/mnguardd.service.in \
		> $(DESTDIR)$(UNITDIR)/mnguardd.service
	sed -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' packaging/systemd/mnguard-fallback.service.in \
		> $(DESTDIR)$(UNITDIR)/mnguard-fallback.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/mnguardd.service $(DESTDIR)$(UNITDIR)/mnguard-fallback.service
	install -m 0644 packaging/udev/70-mnguard.rules $(DESTDIR)$(UDEVRULESDIR)/70-mnguard.rules
	install -m 0755 packaging/libexec/mnguard-fallback $(DESTDIR)$(LIBEXECDIR)/mnguard-fallback
	install -m 0644 packaging/pam-configs/mnguard $(DESTDIR)$(PAMCONFDIR)/mnguard
	install -m 0644 packaging/logrotate/mnguard $(DESTDIR)$(LOGROTATEDIR)/mnguard
	install -m 0755 packaging/grub/mnguard-kernel-cmdline $(DESTDIR)$(SBINDIR)/mnguard-kernel-cmdline
	install -m 0644 packaging/man/mnguard-kernel-cmdline.8 $(DESTDIR)$(MANDIR)/man8/
	[ -e $(DESTDIR)$(SYSCONFDIR)/mnguard/mnguard.conf ] || \
		install -m 0644 rules/mynumber-terminal.conf $(DESTDIR)$(SYSCONFDIR)/mnguard/mnguard.conf
	# The CUPS hardening snippet, once the print gate ships it.
	if [ -f packaging/cups/mnguard-cupsd.conf ]; then \
		install -d $(DESTDIR)$(DATADIR)/cups && \
		install -m 0644 packaging/cups/mnguard-cupsd.conf $(DESTDIR)$(DATADIR)/cups/; fi

# The package is built from a copy of the committed tree (git archive HEAD),
# or of the working tree with DEB_TREE=worktree (and where there is no git),
# so the developer's build/default is never touched and half-done work in
# the working tree never reaches a package.
DEB_TREE ?= $(if $(wildcard .git),head,worktree)

deb:
	@for t in dpkg-buildpackage dh lintian; do command -v $$t >/dev/null || \
		{ echo "make deb: $$t is missing (apt-get install dpkg-dev debhelper lintian)"; \
		exit 1; }; done
	rm -rf $(DEB_SRC) $(DEB_OUT)/*.deb $(DEB_OUT)/*.changes $(DEB_OUT)/*.buildinfo
	mkdir -p $(DEB_SRC)
	if [ "$(DEB_TREE)" = head ]; then git archive --format=tar HEAD; \
	else tar -C . --exclude=./build --exclude=./.git -cf - .; fi | tar -C $(DEB_SRC) -xf -
	cp -r packaging/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && DEB_BUILD_OPTIONS="$${DEB_BUILD_OPTIONS:-parallel=$$(nproc)}" \
		dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning --display-level '>=warning' $(DEB_CHANGES)
	@ls -1 $(DEB_OUT)/*.deb

check-deb: deb
	@MNG_DEB_DIR=$(DEB_OUT) sh tests/run-unit.sh tests/packaging/test_packaging.sh

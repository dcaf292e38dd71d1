# SPDX-License-Identifier: GPL-2.0-or-later
# The real-kernel end-to-end suite (tests/vm): mnguardd and mnguardctl in a
# QEMU guest booted from a Debian kernel, USB devices hot-plugged over QMP.
# The kernel is downloaded once into build/vm-cache/ and reused.
#
#   make check-vm        run the suite alone (last line "N passed, M failed")
#   make check           runs it too (EXTRA_CHECKS)
#   make check-vm-deb    make deb, then the suite against the installed files
#                        of build/deb/mnguard_*.deb (check-vm-deb-run: on the
#                        packages already built)

VM_SUITE := tests/vm/run.sh
EXTRA_CHECKS += $(VM_SUITE)

.PHONY: check-vm check-vm-run

check-vm: deps
	@$(MAKE) --no-print-directory check-vm-run

check-vm-run: $(CTL) $(AGENT)
	@$(TEST_ENV) sh $(VM_SUITE)

# The same scenarios against the installed files of the mnguard package:
# make deb, then the guest gets what dpkg -x of build/deb/mnguard_*.deb
# installs (programs, /etc/mnguard, the shipped rules, the udev rule) and
# starts the agent as the package's unit does. See tests/vm/README.
.PHONY: check-vm-deb check-vm-deb-run

check-vm-deb: deb
	@$(MAKE) --no-print-directory check-vm-deb-run

check-vm-deb-run:
	@MNG_BUILD=$(BUILD) sh $(VM_SUITE) --from-deb $(DEB_OUT)

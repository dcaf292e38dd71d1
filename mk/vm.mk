# SPDX-License-Identifier: GPL-2.0-or-later
# The real-kernel end-to-end suite (tests/vm): mnguardd and mnguardctl in a
# QEMU guest booted from a Debian kernel, USB devices hot-plugged over QMP.
# The kernel is downloaded once into build/vm-cache/ and reused.
#
#   make check-vm        run the suite alone (last line "N passed, M failed")
#   make check           runs it too (EXTRA_CHECKS)

VM_SUITE := tests/vm/run.sh
EXTRA_CHECKS += $(VM_SUITE)

.PHONY: check-vm check-vm-run

check-vm: deps
	@$(MAKE) --no-print-directory check-vm-run

check-vm-run: $(CTL) $(AGENT)
	@$(TEST_ENV) sh $(VM_SUITE)

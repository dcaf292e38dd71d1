# SPDX-License-Identifier: GPL-2.0-or-later
# The print gate (agent/cups/): the CUPS backend "mnguard" and the content
# extractor "mnguard-extract" that mnguardd runs for every checked job.
#
#   $(BUILD)/cups/mnguard          the backend (libmnguard + json-c, no libcups)
#   $(BUILD)/cups/mnguard-extract  the extractor (poppler-glib; never linked into mnguardd);
#                                  its own parsers are extract_text.c (tests/fuzz/fuzz_extract.c)
#
# tests/integration/test_print.sh runs both against a private cupsd; it finds
# them through MNG_BACKEND and MNG_EXTRACT.

LIBEXECDIR     ?= $(PREFIX)/libexec/mnguard
CUPS_BACKENDDIR ?= $(PREFIX)/lib/cups/backend
POPPLER_PKGS   := poppler-glib
POPPLER_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(POPPLER_PKGS) 2>/dev/null)
POPPLER_LIBS   := $(shell $(PKG_CONFIG) --libs $(POPPLER_PKGS) 2>/dev/null)

PRINT_BACKEND  := $(BUILD)/cups/mnguard
PRINT_EXTRACT  := $(BUILD)/cups/mnguard-extract

EXTRA_ALL      += $(PRINT_BACKEND) $(PRINT_EXTRACT)
EXTRA_TEST_ENV += MNG_BACKEND=$(PRINT_BACKEND) MNG_EXTRACT=$(PRINT_EXTRACT)
EXTRA_INSTALL  += install-print

# mnguardd runs the extractor from its installed place.
$(BUILD)/agent/print.o: CFLAGS_ALL += -DMNG_EXTRACT_PATH='"$(LIBEXECDIR)/mnguard-extract"'
# mnguardctl print enforce copies the backend from its installed place.
$(BUILD)/tools/ctl_print.o: CFLAGS_ALL += -DMNG_BACKEND_PATH='"$(LIBEXECDIR)/mnguard-backend"'

# The extractor is never built with the sanitizers: mnguardd runs it under an
# address-space limit (RLIMIT_AS) that ASan's shadow memory cannot fit in, so a
# sanitizer build of it could only ever fail. Its own parsers (extract_text.c)
# run under ASan+UBSan in tests/fuzz/fuzz_extract.c; poppler is not ours.
$(BUILD)/cups/mnguard-extract.o $(BUILD)/cups/extract_text.o: \
	CFLAGS_ALL := $(filter-out $(SANFLAGS),$(CFLAGS_ALL))
$(PRINT_EXTRACT): LDFLAGS_ALL := $(filter-out $(SANFLAGS),$(LDFLAGS_ALL))

$(BUILD)/cups/%.o: agent/cups/%.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(if $(filter mnguard-extract,$*),$(POPPLER_CFLAGS)) -MMD -MP -c -o $@ $<

$(PRINT_BACKEND): $(BUILD)/cups/backend.o $(LIBA)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIBA) $(LIBS_ALL)

$(PRINT_EXTRACT): $(BUILD)/cups/mnguard-extract.o $(BUILD)/cups/extract_text.o
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(POPPLER_LIBS)

.PHONY: install-print
install-print: $(PRINT_BACKEND) $(PRINT_EXTRACT)
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(CUPS_BACKENDDIR)
	install -m 0755 $(PRINT_EXTRACT) $(DESTDIR)$(LIBEXECDIR)/mnguard-extract
	install -m 0755 $(PRINT_BACKEND) $(DESTDIR)$(LIBEXECDIR)/mnguard-backend

-include $(BUILD)/cups/backend.d $(BUILD)/cups/mnguard-extract.d $(BUILD)/cups/extract_text.d

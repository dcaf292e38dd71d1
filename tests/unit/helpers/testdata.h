/* SPDX-License-Identifier: GPL-2.0-or-later */
/* testdata.h - reading files of the source tree (test data, fixtures) in tests. */
#ifndef MNG_TEST_TESTDATA_H
#define MNG_TEST_TESTDATA_H

#include <stddef.h>

/*
 * test_data_read - the whole of rel (a path relative to $MNG_SRCDIR, or to
 * the current directory when it is unset), NUL-terminated, malloc'd. The
 * length without the NUL goes to *ret_len when ret_len is not NULL. Fails
 * the running cmocka test when the file cannot be read.
 */
char *test_data_read(const char *rel, size_t *ret_len);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_bundle.c - arbitrary bytes as a signed policy bundle. mng_bundle_parse
 * must neither crash nor leak nor hang, must answer only with its documented
 * results, must leave *ret untouched on failure and, on success, give a
 * bundle whose every file is where the format says: paths valid for their
 * kinds and strictly ascending, contents inside the bytes, SHA-256 equal to
 * the content, the signature line after the last file and nothing after it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mng_bundle *b = NULL, *sentinel = (struct mng_bundle *)&b;
	uint8_t d[MNG_SHA256_LEN];
	char err[512];
	size_t i, sum = 0;
	int r;

	b = sentinel;
	r = mng_bundle_parse(data, size, &b, err, sizeof(err));
	if (r < 0) {
		if (b != sentinel || (r != -EBADMSG && r != -E2BIG && r != -ENOMEM))
			abort();
		if (!memchr(err, '\0', sizeof(err)) || (r == -EBADMSG && !err[0]))
			abort();
		return 0;
	}
	if (r != 0 || !b || b == sentinel || b->n_files == 0 || b->n_files > MNG_BUNDLE_FILES_MAX ||
	    b->version == 0 || b->version > MNG_BUNDLE_VERSION_MAX || b->raw_len != size ||
	    b->signed_len + 97 != b->raw_len)
		abort();
	for (i = 0; i < b->n_files; i++) {
		const struct mng_bundle_file *f = &b->files[i];

		if (mng_bundle_path_check(f->kind, f->path, NULL, 0) < 0 ||
		    (i && strcmp(b->files[i - 1].path, f->path) >= 0) ||
		    f->size > MNG_BUNDLE_FILE_MAX || f->data < b->raw ||
		    f->data + f->size > b->raw + b->signed_len || (f->mode & ~0644u) ||
		    mng_bundle_file_find(b, f->path) != f)
			abort();
		if (mng_sha256(f->data, f->size, d) < 0 || memcmp(d, f->sha256, sizeof(d)))
			abort();
		sum += f->size;
	}
	if (sum > b->signed_len || memcmp(b->raw + b->signed_len, "signature ", 10))
		abort();
	mng_bundle_free(&b);
	if (b)
		abort();
	return 0;
}

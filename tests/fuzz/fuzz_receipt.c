/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_receipt.c - libFuzzer harness for the receipt parser (receipt.c):
 * arbitrary bytes into vouch_receipt_decode(), as a hostile or corrupt file
 * in state_dir/receipts would give them.  A decode must never crash or read
 * out of bounds; whatever decodes must encode back to the same bytes and
 * match itself only before its horizon.
 */
#include "receipt_i.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vouch_receipt r;
	static uint8_t buf[VOUCH_RECEIPT_FILE_MAX];
	size_t n;

	if (vouch_receipt_decode(data, size, &r))
		return 0;
	n = vouch_receipt_encode(&r, buf, sizeof(buf));
	if (n != size || memcmp(buf, data, size))
		abort();                /* one encoding per receipt */
	if (r.until && vouch_receipt_matches(&r, &r, r.until))
		abort();
	return 0;
}

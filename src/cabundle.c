/*
 * cabundle.c - unpacks the CA bundle compiled into the binary (see
 * cabundle.h) with zlib, which the PDF writer links already.
 */
#include <zlib.h>

#include "cabundle.h"

int
cabundle_pem(struct buf *out, struct buf *err)
{
	z_stream zs = { 0 };
	unsigned char chunk[16384];
	int zrc = Z_OK, rv = -1, started = 0;

	buf_reset(out);
	if (cabundle_gz_len == 0) {
		(void)buf_puts(err, "this build carries no CA bundle");
		goto out;
	}
	zs.next_in = (unsigned char *)cabundle_gz;
	zs.avail_in = (uInt)cabundle_gz_len;
	/* 16 + MAX_WBITS: the gzip format of gzip(1). */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		(void)buf_puts(err, "built-in CA bundle: cannot start zlib");
		goto out;
	}
	started = 1;
	while (zrc != Z_STREAM_END) {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zrc = inflate(&zs, Z_NO_FLUSH);
		if (zrc != Z_OK && zrc != Z_STREAM_END) {
			(void)buf_printf(err, "built-in CA bundle: %s",
			    zs.msg ? zs.msg : "damaged");
			goto out;
		}
		if (buf_append(out, chunk, sizeof(chunk) - zs.avail_out) ==
		    -1) {
			(void)buf_puts(err, "built-in CA bundle: out of memory");
			goto out;
		}
		if (zrc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
			(void)buf_puts(err, "built-in CA bundle: truncated");
			goto out;
		}
	}
	if (out->len != cabundle_pem_len) {
		(void)buf_puts(err, "built-in CA bundle: wrong length");
		goto out;
	}
	rv = 0;
out:
	if (started)
		(void)inflateEnd(&zs);
	if (rv == -1)
		buf_reset(out);
	return rv;
}

/*
 * cabundle.c - unpacks the CA bundle compiled into the binary (see
 * cabundle.h) with zlib, which the PDF writer links already: DER
 * certificates, each after its length, turned back into the PEM text
 * libcurl takes (CURLOPT_CAINFO_BLOB reads PEM only).
 */
#include <zlib.h>

#include "cabundle.h"

#define CABUNDLE_DER_MAX	((size_t)1 << 20)

/* Appends DER certificate der (n bytes) to out as PEM, 64 a line. */
static int
cabundle_put_pem(struct buf *out, const unsigned char *der, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
	    "tuvwxyz0123456789+/";
	char line[65];
	size_t i, col = 0;
	unsigned v;
	int bad = buf_puts(out, "-----BEGIN CERTIFICATE-----\n");

	for (i = 0; i < n; i += 3) {
		v = (unsigned)der[i] << 16 | (i + 1 < n ? (unsigned)der[i + 1]
		    << 8 : 0) | (i + 2 < n ? der[i + 2] : 0);
		line[col++] = b64[v >> 18 & 63];
		line[col++] = b64[v >> 12 & 63];
		line[col++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		line[col++] = i + 2 < n ? b64[v & 63] : '=';
		if (col == 64 || i + 3 >= n) {
			line[col++] = '\n';
			bad |= buf_append(out, line, col);
			col = 0;
		}
	}
	return bad | buf_puts(out, "-----END CERTIFICATE-----\n");
}

int
cabundle_pem(struct buf *out, struct buf *err)
{
	z_stream zs = { 0 };
	unsigned char chunk[16384];
	struct buf der;
	size_t at, n;
	const unsigned char *p;
	int zrc = Z_OK, rv = -1, started = 0;

	buf_init(&der, CABUNDLE_DER_MAX);
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
		if (buf_append(&der, chunk, sizeof(chunk) - zs.avail_out) ==
		    -1) {
			(void)buf_puts(err, "built-in CA bundle: out of memory");
			goto out;
		}
		if (zrc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
			(void)buf_puts(err, "built-in CA bundle: truncated");
			goto out;
		}
	}
	p = (const unsigned char *)der.data;
	for (at = 0; at + 2 <= der.len; at += 2 + n) {
		n = (size_t)p[at] << 8 | p[at + 1];
		if (n == 0 || at + 2 + n > der.len ||
		    cabundle_put_pem(out, p + at + 2, n) == -1)
			break;
	}
	if (at != der.len || out->len != cabundle_pem_len) {
		(void)buf_puts(err, "built-in CA bundle: wrong length");
		goto out;
	}
	rv = 0;
out:
	if (started)
		(void)inflateEnd(&zs);
	if (rv == -1)
		buf_reset(out);
	buf_release(&der);
	return rv;
}

/*
 * buf.c - the growable, capped byte buffer of buf.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* What an empty buffer points at, so data is never NULL (git's slopbuf). */
static char buf_empty[1];

void
buf_init(struct buf *b, size_t max)
{
	b->data = buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void
buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->data);
	b->data = buf_empty;
	b->len = 0;
	b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

void
buf_shrink(struct buf *b)
{
	char *p;

	/* Failing to shrink leaves it as it was: nothing lost. */
	if (b->alloc > b->len + 1 && (p = realloc(b->data, b->len + 1)) !=
	    NULL) {
		b->data = p;
		b->alloc = b->len + 1;
	}
}

/* Makes room for n more bytes and the NUL. */
static int
buf_grow(struct buf *b, size_t n)
{
	size_t want, size;
	char *p;

	if (n > b->max || b->len > b->max - n) {
		errno = EMSGSIZE;
		return -1;
	}
	want = b->len + n + 1;
	if (want <= b->alloc)
		return 0;
	size = b->alloc ? b->alloc : 64;
	while (size < want)
		size = size > ((size_t)-1) / 2 ? want : size * 2;
	p = b->alloc ? realloc(b->data, size) : malloc(size);
	if (p == NULL)
		return -1;
	if (!b->alloc)
		p[0] = '\0';
	b->data = p;
	b->alloc = size;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_grow(b, n) == -1)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_append(b, &ch, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -1;
	if (buf_grow(b, (size_t)n) == -1)
		return -1;
	/* The room for n bytes and the NUL was made just above. */
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int
buf_json_str(struct buf *b, const char *s)
{
	size_t start = b->len;
	const unsigned char *p;

	if (buf_putc(b, '"') == -1)
		return -1;
	for (p = (const unsigned char *)s; *p; p++) {
		int rc;

		switch (*p) {
		case '"':  rc = buf_puts(b, "\\\""); break;
		case '\\': rc = buf_puts(b, "\\\\"); break;
		case '\n': rc = buf_puts(b, "\\n"); break;
		case '\r': rc = buf_puts(b, "\\r"); break;
		case '\t': rc = buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20)
				rc = buf_printf(b, "\\u%04x", *p);
			else
				rc = buf_putc(b, *p);
		}
		if (rc == -1)
			goto fail;
	}
	if (buf_putc(b, '"') == -1)
		goto fail;
	return 0;
fail:
	b->len = start;
	b->data[start] = '\0';
	return -1;
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (len)
		*len = b->len;
	if (b->alloc)
		p = b->data;
	else if ((p = strdup("")) == NULL)
		return NULL;
	b->data = buf_empty;
	b->len = 0;
	b->alloc = 0;
	return p;
}

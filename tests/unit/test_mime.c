/*
 * test_mime.c - the MIME writer: QP, base64, RFC 2047 and 2231, address
 * headers, whole messages and the refusal of anything that would break a
 * header.  Encoded output is decoded back here and compared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "mime.h"
#include "mime_enc.h"
#include "utf8.h"

/* --- helpers: decoders and line checks -------------------------------- */

static int
b64_val(int c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;

	return p ? (int)(p - a) : -1;
}

/* Decodes base64, skipping CRLF; appends to out. */
static void
b64_decode(const char *s, size_t len, struct buf *out)
{
	unsigned long v = 0;
	int bits = 0, d;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '=')
			continue;
		d = b64_val((unsigned char)s[i]);
		assert_true(d >= 0);
		v = (v << 6) | (unsigned long)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			assert_int_equal(buf_putc(out, (int)((v >> bits) &
			    0xff)), 0);
		}
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes quoted-printable (uppercase hex only, as RFC 2045 asks). */
static void
qp_decode(const char *s, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] != '=') {
			buf_putc(out, s[i]);
			continue;
		}
		if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		assert_true(i + 2 < len);
		assert_true(hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0);
		buf_putc(out, hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
		i += 2;
	}
}

/* Every line of s ends in CRLF (or is the last), none longer than max. */
static void
assert_lines(const char *s, size_t len, size_t max)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r') {
			assert_true(i + 1 < len && s[i + 1] == '\n');
			if (i - start > max)
				fail_msg("line of %zu > %zu: %.*s", i - start,
				    max, (int)(i - start), s + start);
			start = i + 2;
			i++;
		} else
			assert_int_not_equal(s[i], '\n');
	}
	assert_true(len - start <= max);
}

/*
 * Unfolds a header section line (removes CRLF before WSP) and decodes its
 * encoded-words, dropping the whitespace between two adjacent ones as
 * RFC 2047 6.2 says.  Checks each word: <= 75 characters, whole UTF-8.
 */
static void
hdr_decode(const char *s, struct buf *out)
{
	struct buf w;
	const char *p = s, *q, *e;
	int prev_word = 0;
	size_t ws;

	buf_init(&w, 4096);
	while (*p) {
		if (p[0] == '\r' && p[1] == '\n') {
			assert_true(p[2] == ' ' || p[2] == '\t' || !p[2]);
			p += 2;
			continue;
		}
		for (ws = 0; p[ws] == ' '; ws++)
			;
		if (strncmp(p + ws, "=?UTF-8?B?", 10) == 0) {
			q = p + ws + 10;
			e = strstr(q, "?=");
			assert_non_null(e);
			assert_true((size_t)(e + 2 - (p + ws)) <=
			    MIME_WORD_MAX);
			if (!prev_word)
				buf_append(out, p, ws);
			buf_reset(&w);
			b64_decode(q, (size_t)(e - q), &w);
			assert_true(utf8_valid(w.data, w.len));
			buf_append(out, w.data, w.len);
			p = e + 2;
			prev_word = 1;
			continue;
		}
		if (ws) {
			buf_append(out, p, ws);
			p += ws;
		} else
			buf_putc(out, *p++);
		prev_word = 0;
	}
	buf_release(&w);
}

/* Writes n pattern bytes into a temporary file, positioned at 0. */
static int
tmp_data(size_t n, struct buf *copy)
{
	FILE *f = tmpfile();
	size_t i;
	int fd;

	assert_non_null(f);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)((i * 7919 + i / 251) & 0xff);

		fputc(c, f);
		if (copy)
			buf_putc(copy, c);
	}
	assert_int_equal(fflush(f), 0);
	fd = dup(fileno(f));
	fclose(f);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* --- quoted-printable -------------------------------------------------- */

struct qp_case {
	const char	*in;
	const char	*out;
};

static const struct qp_case qp_cases[] = {
	{ "", "" },
	{ "plain text", "plain text" },
	{ "a=b", "a=3Db" },
	{ "trailing space \n", "trailing space=20\r\n" },
	{ "trailing spaces  \r\nx", "trailing spaces =20\r\nx" },
	{ "tab\t", "tab=09" },
	{ "mid space kept", "mid space kept" },
	{ "l1\nl2\r\nl3\n\n", "l1\r\nl2\r\nl3\r\n\r\n" },
	{ "lone\rCR", "lone=0DCR" },
	{ "été", "=C3=A9t=C3=A9" },
	{ "€ 😀", "=E2=82=AC =F0=9F=98=80" },
	{ ".dot\n.", "=2Edot\r\n=2E" },
	{ "a.b", "a.b" },
	{ "\x01", "=01" },
	{ "\xff", "=FF" },
	/* 76 characters fit when the line ends there. */
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxx",
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxx" },
	/* 77: a soft break after 75, leaving room for the '='. */
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxx",
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxx=\r\nxx" },
	/* An =XX triple, and a UTF-8 character's triples, never cut. */
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxé",
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxx=\r\n=C3=A9" },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxx= ",
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxx=\r\n=3D=20" },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxx= ",
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxx=3D=\r\n=20" },
	/* A space before a soft break is not at a line end. */
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxx yy",
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxx =\r\nyy" },
};

static char *
qp_run(const char *in, size_t len, size_t *outlen)
{
	char *p = NULL;
	FILE *f = open_memstream(&p, outlen);

	assert_non_null(f);
	assert_int_equal(mime_qp_write(f, in, len), 0);
	assert_int_equal(fclose(f), 0);
	return p;
}

static void
test_mime_qp_table(void **state)
{
	size_t i, n;
	char *out;

	(void)state;
	for (i = 0; i < sizeof(qp_cases) / sizeof(qp_cases[0]); i++) {
		out = qp_run(qp_cases[i].in, strlen(qp_cases[i].in), &n);
		if (strcmp(out, qp_cases[i].out) != 0)
			fail_msg("qp(\"%s\") = \"%s\", want \"%s\"",
			    qp_cases[i].in, out, qp_cases[i].out);
		free(out);
	}
}

/* Long mixed texts: lines <= 76, and decoding gives the CRLF text back. */
static void
test_mime_qp_long_texts_decode_back(void **state)
{
	static const char *const pieces[] = {
		"word ", "été ", "=", "  ", "\t", "\n", "\r\n", "€", "😀",
		".", "x", "long-long-long-long-long-long ", " \n",
	};
	struct buf in, want, got;
	size_t round, i, n;
	unsigned seed = 1;
	char *out;

	(void)state;
	for (round = 0; round < 200; round++) {
		buf_init(&in, 1 << 20);
		buf_init(&want, 1 << 20);
		buf_init(&got, 1 << 20);
		for (i = 0; i < 20 + round * 3; i++) {
			const char *p;

			seed = seed * 1103515245 + 12345;
			p = pieces[(seed >> 16) % (sizeof(pieces) /
			    sizeof(pieces[0]))];
			buf_puts(&in, p);
			if (strcmp(p, "\n") == 0)
				buf_puts(&want, "\r\n");
			else if (strcmp(p, " \n") == 0)
				buf_puts(&want, " \r\n");
			else
				buf_puts(&want, p);
		}
		out = qp_run(in.data, in.len, &n);
		assert_lines(out, n, MIME_QP_LINE);
		/* No whitespace right before a line end. */
		for (i = 0; i + 1 < n; i++)
			if (out[i + 1] == '\r')
				assert_true(out[i] != ' ' && out[i] != '\t');
		qp_decode(out, n, &got);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, want.len);
		free(out);
		buf_release(&in);
		buf_release(&want);
		buf_release(&got);
	}
}

/* --- base64 ------------------------------------------------------------ */

static void
test_mime_base64_line_lengths_and_round_trip(void **state)
{
	/* Around a line, a block of lines written at once (64) and a
	 * chunk read at once (1024 lines). */
	static const size_t sizes[] = { 0, 1, 2, 3, 56, 57, 58, 114, 115,
	    57 * 64 - 1, 57 * 64, 57 * 64 + 1, 57 * 128, 57 * 128 + 1, 100000,
	    57 * 1024 - 1, 57 * 1024, 57 * 1024 + 1, 57 * 2048 + 5 };
	struct buf data, got, err;
	size_t i, j, n, start, lines;
	char *out;
	FILE *f;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		buf_init(&data, 1 << 20);
		buf_init(&got, 1 << 20);
		buf_init(&err, 1024);
		fd = tmp_data(sizes[i], &data);
		out = NULL;
		f = open_memstream(&out, &n);
		assert_int_equal(mime_base64_write(f, fd, NULL, &err), 0);
		assert_int_equal(fclose(f), 0);
		close(fd);
		if (sizes[i] == 0)
			assert_int_equal(n, 0);
		/* Lines of exactly 76 but the last; no CRLF after it. */
		for (j = 0, start = 0, lines = 0; j <= n; j++) {
			if (j < n && out[j] != '\r')
				continue;
			lines++;
			if (j < n) {
				assert_int_equal(j - start, MIME_B64_LINE);
				assert_int_equal(out[j + 1], '\n');
				j++;
				start = j + 1;
			} else if (n > 0) {
				assert_true(j - start > 0);
				assert_true(j - start <= MIME_B64_LINE);
				assert_int_equal((j - start) % 4, 0);
			}
		}
		if (sizes[i] > 0)
			assert_int_equal(lines, (sizes[i] + 56) / 57);
		b64_decode(out, n, &got);
		assert_int_equal(got.len, sizes[i]);
		assert_memory_equal(got.data, data.data, sizes[i]);
		free(out);
		buf_release(&data);
		buf_release(&got);
		buf_release(&err);
	}
}

/* Cut after the caller opened it and before the first read: the copy
 * read is whole and steady, yet not the file that was opened. */
static void
test_mime_base64_file_cut_since_it_was_opened(void **state)
{
	struct stat opened;
	struct buf err;
	char *out = NULL;
	size_t n;
	FILE *f;
	int fd;

	(void)state;
	buf_init(&err, 1024);
	fd = tmp_data(4000, NULL);
	assert_int_equal(fstat(fd, &opened), 0);
	assert_int_equal(ftruncate(fd, 2000), 0);
	f = open_memstream(&out, &n);
	errno = 0;
	assert_int_equal(mime_base64_write(f, fd, &opened, &err), -1);
	assert_int_equal(errno, EAGAIN);
	assert_non_null(strstr(err.data, "changed while it was read"));
	fclose(f);
	free(out);
	/* Unchanged since it was opened: written. */
	out = NULL;
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fstat(fd, &opened), 0);
	f = open_memstream(&out, &n);
	assert_int_equal(mime_base64_write(f, fd, &opened, &err), 0);
	fclose(f);
	free(out);
	close(fd);
	buf_release(&err);
}

static void
test_mime_base64_read_error_is_reported(void **state)
{
	struct buf err;
	char *out = NULL;
	size_t n;
	FILE *f;

	(void)state;
	buf_init(&err, 1024);
	f = open_memstream(&out, &n);
	errno = 0;
	assert_int_equal(mime_base64_write(f, -1, NULL, &err), -1);
	assert_int_equal(errno, EBADF);
	assert_non_null(strstr(err.data, "attachment: read:"));
	fclose(f);
	free(out);
	buf_release(&err);
}

/* --- RFC 2047 unstructured headers -------------------------------------- */

static void
test_mime_hdr_text_ascii_is_untouched(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(mime_hdr_text(&b, "Subject",
	    "Weekly sales: 10% up (EMEA) & more!"), 0);
	assert_string_equal(b.data,
	    "Subject: Weekly sales: 10% up (EMEA) & more!\r\n");
	buf_reset(&b);
	assert_int_equal(mime_hdr_text(&b, "Subject", "  padded\t "), 0);
	assert_string_equal(b.data, "Subject: padded\r\n");
	buf_reset(&b);
	assert_int_equal(mime_hdr_text(&b, "Subject", ""), 0);
	assert_string_equal(b.data, "Subject:\r\n");
	buf_release(&b);
}

struct hdr_case {
	const char	*value;
	int		 encoded;	/* expect encoded-words */
};

static const struct hdr_case hdr_cases[] = {
	{ "Ventes d'octobre — « Lyon » €", 1 },
	{ "Zoë", 1 },
	{ "Rapport mensuel des ventes Rapport mensuel des ventes Rapport "
	    "mensuel des ventes Rapport mensuel des ventes fin", 0 },
	{ "Été à Zoë Été à Zoë Été à Zoë Été à Zoë Été à Zoë "
	    "Été à Zoë Été à Zoë Été à Zoë Été à Zoë Été à Zoë "
	    "€😀 fin", 1 },
	{ "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀"
	    "😀😀😀😀😀😀😀😀😀😀", 1 },
	{ "ééééééééééééééééééééééééééééééééééééééééééééééééééééééé", 1 },
	{ "looks like =?UTF-8?B?eA==?= a word", 1 },
	{ "a\tb  c", 0 },
};

static void
test_mime_hdr_text_encodes_folds_and_decodes_back(void **state)
{
	struct buf b, got;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		const char *v = hdr_cases[i].value;

		buf_init(&b, 1 << 16);
		buf_init(&got, 1 << 16);
		assert_int_equal(mime_hdr_text(&b, "Subject", v), 0);
		assert_int_equal(strncmp(b.data, "Subject:", 8), 0);
		assert_true(b.len >= 2 &&
		    strcmp(b.data + b.len - 2, "\r\n") == 0);
		assert_lines(b.data, b.len, MIME_LINE_SOFT);
		for (j = 0; j < b.len; j++)
			assert_true((unsigned char)b.data[j] < 0x80);
		assert_int_equal(strstr(b.data, "=?UTF-8?B?") != NULL,
		    hdr_cases[i].encoded);
		b.data[b.len - 2] = '\0';
		hdr_decode(b.data + 9, &got);
		if (strcmp(got.data, v) != 0)
			fail_msg("\"%s\" came back as \"%s\" from %s", v,
			    got.data, b.data);
		buf_release(&b);
		buf_release(&got);
	}
}

/* A word too long to fold is encoded, so no line passes 998. */
static void
test_mime_hdr_text_huge_word_is_encoded(void **state)
{
	struct buf b, v, got;
	int i;

	(void)state;
	buf_init(&b, 1 << 16);
	buf_init(&v, 1 << 16);
	buf_init(&got, 1 << 16);
	for (i = 0; i < 2000; i++)
		buf_putc(&v, 'a' + i % 26);
	assert_int_equal(mime_hdr_text(&b, "Subject", v.data), 0);
	assert_lines(b.data, b.len, MIME_LINE_SOFT);
	b.data[b.len - 2] = '\0';
	hdr_decode(b.data + 9, &got);
	assert_string_equal(got.data, v.data);
	buf_release(&b);
	buf_release(&v);
	buf_release(&got);
}

struct check_case {
	const char	*value;
	const char	*why;	/* NULL: accepted */
};

static const struct check_case check_cases[] = {
	{ "fine", NULL },
	{ "tab\tis fine", NULL },
	{ "Zoë €", NULL },
	{ "Hello\r\nBcc: victim@example.com", "subject contains a line break" },
	{ "Hello\nX-Injected: 1", "subject contains a line break" },
	{ "Hello\r", "subject contains a line break" },
	{ "bell\a", "subject contains a control character" },
	{ "del\177", "subject contains a control character" },
	{ "\xc3(", "subject is not valid UTF-8" },
	{ "\xe2\x82", "subject is not valid UTF-8" },
	{ "\xf8\x88\x80\x80\x80", "subject is not valid UTF-8" },
};

static void
test_mime_check_value_table(void **state)
{
	struct buf err;
	size_t i;

	(void)state;
	buf_init(&err, 1024);
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		int rc = mime_check_value("subject", check_cases[i].value,
		    &err);

		if (check_cases[i].why == NULL)
			assert_int_equal(rc, 0);
		else {
			assert_int_equal(rc, -1);
			assert_int_equal(errno, EINVAL);
			assert_string_equal(err.data, check_cases[i].why);
		}
	}
	assert_int_equal(mime_check_value("subject", NULL, &err), 0);
	buf_release(&err);
}

/* --- address headers --------------------------------------------------- */

struct addrs_case {
	const char	*list;
	const char	*header;	/* exact output */
};

static const struct addrs_case addrs_cases[] = {
	{ "a@b.example", "To: a@b.example\r\n" },
	{ "Name <a@b.example>", "To: Name <a@b.example>\r\n" },
	{ "Jean-Pierre Dupont <jp@x.example>",
	    "To: Jean-Pierre Dupont <jp@x.example>\r\n" },
	{ "\"Martin, Paul\" <p@x.example>",
	    "To: \"Martin, Paul\" <p@x.example>\r\n" },
	{ "J. Smith <j@x.example>", "To: \"J. Smith\" <j@x.example>\r\n" },
	{ "\"a \\\"b\\\" \\\\c\" <x@y.example>",
	    "To: \"a \\\"b\\\" \\\\c\" <x@y.example>\r\n" },
	{ "Zoë Dupont <zoe@example.com>",
	    "To: =?UTF-8?B?Wm/DqyBEdXBvbnQ=?= <zoe@example.com>\r\n" },
	{ "a@b.example, Name <c@d.example>",
	    "To: a@b.example, Name <c@d.example>\r\n" },
};

static void
test_mime_hdr_addrs_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(addrs_cases) / sizeof(addrs_cases[0]); i++) {
		struct addr_list l = { NULL, 0 };
		struct buf b, err;

		buf_init(&b, 1 << 16);
		buf_init(&err, 1024);
		assert_int_equal(addr_list_parse(&l, addrs_cases[i].list,
		    &err), 0);
		assert_int_equal(mime_hdr_addrs(&b, "To", "to", &l, &err), 0);
		assert_string_equal(b.data, addrs_cases[i].header);
		addr_list_release(&l);
		buf_release(&b);
		buf_release(&err);
	}
}

static void
test_mime_hdr_addrs_long_list_folds(void **state)
{
	struct addr_list l = { NULL, 0 };
	struct buf b, err, text, got;
	int i;

	(void)state;
	buf_init(&b, 1 << 16);
	buf_init(&err, 1024);
	buf_init(&text, 1 << 16);
	buf_init(&got, 1 << 16);
	for (i = 0; i < 30; i++)
		buf_printf(&text, "%s\"Zoë, Ñandú %d\" <z%d@example.com>, "
		    "\"Last, First %d\" <u%d@example.com>", i ? ", " : "",
		    i, i, i, i);
	assert_int_equal(addr_list_parse(&l, text.data, &err), 0);
	assert_int_equal(mime_hdr_addrs(&b, "Cc", "cc", &l, &err), 0);
	assert_lines(b.data, b.len, MIME_LINE_SOFT);
	b.data[b.len - 2] = '\0';
	hdr_decode(b.data + 4, &got);
	assert_non_null(strstr(got.data, "Zoë, Ñandú 29 <z29@example.com>, "
	    "\"Last, First 29\" <u29@example.com>"));
	assert_non_null(strstr(got.data, "Zoë, Ñandú 0 <z0@example.com>, "
	    "\"Last, First 0\" <u0@example.com>, Zoë, Ñandú 1"));
	addr_list_release(&l);
	buf_release(&b);
	buf_release(&err);
	buf_release(&text);
	buf_release(&got);
}

/* Hand-made lists get the same checks as parsed ones. */
static void
test_mime_hdr_addrs_refuses_line_break_in_display_name(void **state)
{
	struct addr a[2] = {
		{ NULL, NULL },
		{ NULL, NULL },
	};
	struct addr_list l = { a, 1 };
	struct buf b, err;

	(void)state;
	buf_init(&b, 1 << 16);
	buf_init(&err, 1024);
	a[0].display = (char *)"Evil\r\nBcc: victim@example.com";
	a[0].mailbox = (char *)"x@y.example";
	assert_int_equal(mime_hdr_addrs(&b, "To", "to", &l, &err), -1);
	assert_string_equal(err.data, "to display name contains a line break");
	a[0].display = NULL;
	a[0].mailbox = (char *)"x@y.example\r\nBcc: victim@example.com";
	assert_int_equal(mime_hdr_addrs(&b, "To", "to", &l, &err), -1);
	assert_non_null(strstr(err.data, "to address"));
	buf_release(&b);
	buf_release(&err);
}

/* --- RFC 2231 parameters ------------------------------------------------ */

static int
pct_hex(char c)
{
	int v = hexval(c);

	assert_true(v >= 0);
	return v;
}

/*
 * Reassembles "filename" from Content-Disposition output: the single
 * form or RFC 2231 continuations, percent-decoded or unquoted.
 */
static void
param_decode(const char *h, const char *attr, struct buf *out)
{
	char key[64];
	const char *p;
	int n, ext;

	for (n = 0;; n++) {
		snprintf(key, sizeof(key), " %s*%d", attr, n);
		if ((p = strstr(h, key)) == NULL) {
			snprintf(key, sizeof(key), " %s*", attr);
			if (n > 0 || (p = strstr(h, key)) == NULL) {
				snprintf(key, sizeof(key), " %s=", attr);
				if (n > 0 || (p = strstr(h, key)) == NULL)
					return;
				p += strlen(key) - 1;
			} else
				p += strlen(key) - 1;
			n = -2;	/* the single form: stop after it */
		} else
			p += strlen(key);
		ext = *p == '*';
		if (ext)
			p++;
		assert_int_equal(*p, '=');
		p++;
		if (ext && strncmp(p, "UTF-8''", 7) == 0) {
			assert_true(n == 0 || n == -2);
			p += 7;
		}
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\\')
					p++;
				buf_putc(out, *p);
			}
		} else {
			for (; *p && *p != ';' && *p != '\r'; p++) {
				if (*p == '%') {
					buf_putc(out, pct_hex(p[1]) << 4 |
					    pct_hex(p[2]));
					p += 2;
				} else
					buf_putc(out, *p);
			}
		}
		if (n == -2)
			return;
	}
}

struct param_case {
	const char	*name;
	const char	*exact;	/* NULL: only check the round trip */
	int		 continued;
};

static const struct param_case param_cases[] = {
	{ "report.pdf",
	    "Content-Disposition: attachment; filename=\"report.pdf\"", 0 },
	{ "a \"b\" \\c.pdf",
	    "Content-Disposition: attachment; "
	    "filename=\"a \\\"b\\\" \\\\c.pdf\"",
	    0 },
	{ "été.pdf",
	    "Content-Disposition: attachment; "
	    "filename*=UTF-8''%C3%A9t%C3%A9.pdf",
	    0 },
	{ "Ventes — octobre.pdf", "Content-Disposition: attachment;\r\n"
	    " filename*=UTF-8''Ventes%20%E2%80%94%20octobre.pdf", 0 },
	{ "Ventes été — Ventes été — Ventes été — Ventes été — "
	    "Ventes été — Ventes été — 😀 Ventes été — Ventes été.pdf",
	    NULL, 1 },
	{ "very_long_ascii_name_very_long_ascii_name_very_long_ascii_name_"
	    "very_long_ascii_name_\"quoted\" back\\slash.pdf", NULL, 1 },
	{ "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀"
	    "😀😀😀😀😀😀😀😀😀😀.pdf", NULL, 1 },
};

static void
test_mime_hdr_param_rfc2231_table(void **state)
{
	struct buf b, got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(param_cases) / sizeof(param_cases[0]); i++) {
		const struct param_case *c = &param_cases[i];

		buf_init(&b, 1 << 16);
		buf_init(&got, 1 << 16);
		buf_puts(&b, "Content-Disposition: attachment");
		assert_int_equal(mime_hdr_param(&b, "filename", c->name), 0);
		if (c->exact)
			assert_string_equal(b.data, c->exact);
		assert_lines(b.data, b.len, MIME_LINE_SOFT);
		assert_int_equal(strstr(b.data, "filename*1") != NULL,
		    c->continued);
		param_decode(b.data, "filename", &got);
		assert_string_equal(got.data, c->name);
		buf_release(&b);
		buf_release(&got);
	}
}

static void
test_mime_ascii_fallback_replaces_characters(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(mime_ascii_fallback(&b, "Ventes — été 😀.pdf"),
	    0);
	assert_string_equal(b.data, "Ventes _ _t_ _.pdf");
	buf_release(&b);
}

/* --- whole messages ---------------------------------------------------- */

struct msg_fixture {
	struct addr_list	 from, to, cc;
	struct buf		 err, pdf;
	struct mime_message	 m;
	FILE			*out;
};

static int
msg_setup(void **state)
{
	struct msg_fixture *x = calloc(1, sizeof(*x));
	struct buf err;

	if (x == NULL)
		return -1;
	buf_init(&err, 1024);
	buf_init(&x->err, 4096);
	buf_init(&x->pdf, 1 << 20);
	if (addr_list_parse(&x->from, "Rapports <rapports@example.com>",
	    &err) || addr_list_parse(&x->to, "Zoë Dupont <zoe@example.com>, "
	    "b@example.com", &err) || addr_list_parse(&x->cc,
	    "\"Martin, Paul\" <paul@example.com>", &err))
		return -1;
	buf_release(&err);
	x->m.from = &x->from;
	x->m.to = &x->to;
	x->m.cc = &x->cc;
	x->m.subject = "Ventes d'octobre — « Lyon » €";
	x->m.date = 1795420800;		/* 2026-11-23 08:00:00 UTC */
	x->m.message_id = "<r1.20261123T080000Z.sendreports@example.com>";
	x->m.body = "Bonjour,\nle rapport est joint.\n";
	x->m.filename = "Ventes — octobre.pdf";
	x->m.pdf_fd = tmp_data(5000, &x->pdf);
	x->m.boundary = NULL;
	if ((x->out = tmpfile()) == NULL)
		return -1;
	*state = x;
	return 0;
}

static int
msg_teardown(void **state)
{
	struct msg_fixture *x = *state;

	addr_list_release(&x->from);
	addr_list_release(&x->to);
	addr_list_release(&x->cc);
	buf_release(&x->err);
	buf_release(&x->pdf);
	if (x->m.pdf_fd >= 0)
		close(x->m.pdf_fd);
	if (x->out)
		fclose(x->out);
	free(x);
	return 0;
}

/* Reads back what was written to x->out. */
static void
msg_read(struct msg_fixture *x, struct buf *raw)
{
	char chunk[4096];
	size_t n;

	rewind(x->out);
	while ((n = fread(chunk, 1, sizeof(chunk), x->out)) > 0)
		assert_int_equal(buf_append(raw, chunk, n), 0);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_mime_message_is_crlf_and_well_formed(void **state)
{
	struct msg_fixture *x = *state;
	struct buf raw, got;
	const char *body, *p, *e;
	char *bound;

	buf_init(&raw, 1 << 20);
	buf_init(&got, 1 << 20);
	assert_int_equal(mime_write_message(x->out, &x->m, &x->err), 0);
	msg_read(x, &raw);
	assert_lines(raw.data, raw.len, 998);

	body = strstr(raw.data, "\r\n\r\n");
	assert_non_null(body);
	*(char *)body = '\0';
	/* The header section: lines of 78 at most, in order. */
	assert_lines(raw.data, (size_t)(body - raw.data), MIME_LINE_SOFT);
	p = raw.data;
	assert_int_equal(strncmp(p, "From: Rapports <rapports@example.com>"
	    "\r\nTo: =?UTF-8?B?Wm/DqyBEdXBvbnQ=?= <zoe@example.com>, "
	    "b@example.com\r\nCc: \"Martin, Paul\" <paul@example.com>\r\n"
	    "Subject: =?UTF-8?B?", 151), 0);
	assert_non_null(strstr(p, "\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000"
	    "\r\nMessage-ID: <r1.20261123T080000Z.sendreports@example.com>"
	    "\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n"
	    "Content-Type: multipart/mixed; boundary=\"=_sendreports_"));
	assert_null(strstr(p, "Bcc"));
	e = strstr(p, "boundary=\"") + 10;
	bound = strndup(e, (size_t)(strchr(e, '"') - e));
	assert_non_null(bound);
	assert_int_equal(strncmp(bound, "=_sendreports_", 14), 0);
	*(char *)body = '\r';

	/* Two delimiters and a close, each on a line of its own. */
	buf_printf(&got, "\r\n--%s\r\n", bound);
	assert_int_equal(count(raw.data, got.data), 2);
	buf_reset(&got);
	buf_printf(&got, "\r\n--%s--\r\n", bound);
	assert_int_equal(count(raw.data, got.data), 1);
	assert_int_equal(strcmp(raw.data + raw.len - got.len, got.data), 0);
	buf_reset(&got);

	/* The text part decodes back to the body with CRLF. */
	p = strstr(raw.data, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	assert_non_null(p);
	p = strstr(p, "\r\n\r\n") + 4;
	e = strstr(p, "\r\n--=_sendreports_");
	qp_decode(p, (size_t)(e - p), &got);
	assert_string_equal(got.data, "Bonjour,\r\nle rapport est joint.\r\n");
	buf_reset(&got);

	/* The attachment: its name, and the bytes of the file. */
	p = strstr(raw.data, "Content-Type: application/pdf;");
	assert_non_null(p);
	assert_non_null(strstr(p, "name=\"Ventes _ octobre.pdf\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename*=UTF-8''Ventes%20%E2%80%94%20octobre.pdf\r\n\r\n"));
	p = strstr(p, "\r\n\r\n") + 4;
	e = strstr(p, "\r\n--=_sendreports_");
	b64_decode(p, (size_t)(e - p), &got);
	assert_int_equal(got.len, x->pdf.len);
	assert_memory_equal(got.data, x->pdf.data, x->pdf.len);

	free(bound);
	buf_release(&raw);
	buf_release(&got);
}

/* The same message twice: byte for byte (a retry keeps its boundary). */
static void
test_mime_message_is_reproducible_and_options_apply(void **state)
{
	struct msg_fixture *x = *state;
	struct mime_header extra[] = { { "X-Report-Id", "42" } };
	struct addr_list none = { NULL, 0 };
	struct buf a, b;

	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	x->m.message_id = "r1@example.com";	/* <> added */
	x->m.cc = &none;
	x->m.subject = "ASCII subject";
	x->m.extra = extra;
	x->m.nextra = 1;
	assert_int_equal(mime_write_message(x->out, &x->m, &x->err), 0);
	msg_read(x, &a);
	assert_non_null(strstr(a.data, "\r\nMessage-ID: <r1@example.com>\r\n"));
	assert_non_null(strstr(a.data, "\r\nSubject: ASCII subject\r\n"));
	assert_non_null(strstr(a.data, "\r\nX-Report-Id: 42\r\n"));
	assert_null(strstr(a.data, "Cc:"));

	assert_int_equal(lseek(x->m.pdf_fd, 0, SEEK_SET), 0);
	assert_int_equal(ftruncate(fileno(x->out), 0), 0);
	rewind(x->out);
	assert_int_equal(mime_write_message(x->out, &x->m, &x->err), 0);
	msg_read(x, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);

	/* A caller's boundary is used as given. */
	x->m.boundary = "=_mine";
	assert_int_equal(lseek(x->m.pdf_fd, 0, SEEK_SET), 0);
	assert_int_equal(ftruncate(fileno(x->out), 0), 0);
	rewind(x->out);
	buf_reset(&b);
	assert_int_equal(mime_write_message(x->out, &x->m, &x->err), 0);
	msg_read(x, &b);
	assert_non_null(strstr(b.data, "boundary=\"=_mine\"\r\n"));
	assert_non_null(strstr(b.data, "\r\n--=_mine--\r\n"));
	buf_release(&a);
	buf_release(&b);
}

struct refusal {
	int		 field;
	const char	*value;
	const char	*why;
};

enum { F_SUBJECT, F_FILENAME, F_DISPLAY, F_MSGID, F_BOUNDARY, F_EXTRA,
    F_NOTO, F_TWOFROM, F_NOFD };

static const struct refusal refusals[] = {
	{ F_SUBJECT, "Hello\r\nBcc: victim@example.com",
	    "subject contains a line break" },
	{ F_SUBJECT, "Hello\nX-Injected: 1", "subject contains a line break" },
	{ F_SUBJECT, "bad \xff UTF-8", "subject is not valid UTF-8" },
	{ F_FILENAME, "a\r\nContent-Type: text/html.pdf",
	    "filename contains a line break" },
	{ F_FILENAME, "a\n.pdf", "filename contains a line break" },
	{ F_FILENAME, "", "filename is empty" },
	{ F_DISPLAY, "Evil\r\nBcc: victim@example.com",
	    "to display name contains a line break" },
	{ F_MSGID, "<a b@example.com>", "message-id holds a space" },
	{ F_MSGID, "<x@y>\r\nBcc: v@example.com", "message-id holds" },
	{ F_MSGID, "noat", "message-id is not id@host" },
	{ F_BOUNDARY, "simple", "boundary must be" },
	{ F_BOUNDARY, "=_bad\"quote", "boundary holds" },
	{ F_EXTRA, "Bcc", "extra header Bcc is not allowed" },
	{ F_EXTRA, "Content-Type", "is not allowed" },
	{ F_EXTRA, "X-Bad: name", "extra header name" },
	{ F_NOTO, NULL, "to has no recipient" },
	{ F_TWOFROM, NULL, "from must be exactly one address" },
	{ F_NOFD, NULL, "attachment has no open file" },
};

/* Refused: -1, the reason, EINVAL, and not one byte written. */
static void
test_mime_message_refusals_write_nothing(void **state)
{
	struct msg_fixture *x = *state;
	size_t i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *r = &refusals[i];
		struct mime_message m = x->m;
		struct mime_header extra = { "X-Ok", "1" };
		struct addr bad = { NULL, (char *)"v@example.com" };
		struct addr_list l = { &bad, 1 }, none = { NULL, 0 };

		switch (r->field) {
		case F_SUBJECT:
			m.subject = r->value;
			break;
		case F_FILENAME:
			m.filename = r->value;
			break;
		case F_DISPLAY:
			bad.display = (char *)r->value;
			m.to = &l;
			break;
		case F_MSGID:
			m.message_id = r->value;
			break;
		case F_BOUNDARY:
			m.boundary = r->value;
			break;
		case F_EXTRA:
			extra.name = r->value;
			m.extra = &extra;
			m.nextra = 1;
			break;
		case F_NOTO:
			m.to = &none;
			break;
		case F_TWOFROM:
			m.from = x->m.to;
			break;
		case F_NOFD:
			m.pdf_fd = -1;
			break;
		}
		errno = 0;
		assert_int_equal(mime_write_message(x->out, &m, &x->err), -1);
		assert_int_equal(errno, EINVAL);
		if (strstr(x->err.data, r->why) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
			    x->err.data, r->why);
		assert_int_equal(ftell(x->out), 0);
	}
}

/* A full disk: -1, errno kept, err names the write. */
static void
test_mime_message_write_error_is_reported(void **state)
{
	struct msg_fixture *x = *state;
	FILE *full = fopen("/dev/full", "w");

	if (full == NULL)
		skip();
	setvbuf(full, NULL, _IONBF, 0);
	errno = 0;
	assert_int_equal(mime_write_message(full, &x->m, &x->err), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(strncmp(x->err.data, "write: ", 7), 0);
	fclose(full);
}

struct date_case {
	time_t		 t;
	const char	*s;
};

static const struct date_case date_cases[] = {
	{ 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
	{ 1795420800, "Mon, 23 Nov 2026 08:00:00 +0000" },
	{ 951782400, "Tue, 29 Feb 2000 00:00:00 +0000" },
	{ 1798761599, "Thu, 31 Dec 2026 23:59:59 +0000" },
};

static void
test_mime_date_table(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 64);
	for (i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
		buf_reset(&b);
		assert_int_equal(mime_date(&b, date_cases[i].t), 0);
		assert_string_equal(b.data, date_cases[i].s);
	}
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime_qp_table),
		cmocka_unit_test(test_mime_qp_long_texts_decode_back),
		cmocka_unit_test(test_mime_base64_line_lengths_and_round_trip),
		cmocka_unit_test(test_mime_base64_file_cut_since_it_was_opened),
		cmocka_unit_test(test_mime_base64_read_error_is_reported),
		cmocka_unit_test(test_mime_hdr_text_ascii_is_untouched),
		cmocka_unit_test(
		    test_mime_hdr_text_encodes_folds_and_decodes_back),
		cmocka_unit_test(test_mime_hdr_text_huge_word_is_encoded),
		cmocka_unit_test(test_mime_check_value_table),
		cmocka_unit_test(test_mime_hdr_addrs_table),
		cmocka_unit_test(test_mime_hdr_addrs_long_list_folds),
		cmocka_unit_test(
		    test_mime_hdr_addrs_refuses_line_break_in_display_name),
		cmocka_unit_test(test_mime_hdr_param_rfc2231_table),
		cmocka_unit_test(test_mime_ascii_fallback_replaces_characters),
		cmocka_unit_test_setup_teardown(
		    test_mime_message_is_crlf_and_well_formed, msg_setup,
		    msg_teardown),
		cmocka_unit_test_setup_teardown(
		    test_mime_message_is_reproducible_and_options_apply,
		    msg_setup, msg_teardown),
		cmocka_unit_test_setup_teardown(
		    test_mime_message_refusals_write_nothing, msg_setup,
		    msg_teardown),
		cmocka_unit_test_setup_teardown(
		    test_mime_message_write_error_is_reported, msg_setup,
		    msg_teardown),
		cmocka_unit_test(test_mime_date_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

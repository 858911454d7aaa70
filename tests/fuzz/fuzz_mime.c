/*
 * fuzz_mime.c - the MIME writer (mime.c) and its encoders (mime_enc.c):
 * RFC 2047 subjects and display names, RFC 2231 file names, quoted-
 * printable bodies, base64 attachments.
 *
 * The input is up to six fields separated by NUL bytes:
 *	subject NUL body NUL filename NUL from-name NUL x-header NUL pdf
 * (the last one raw, NULs included).  Without a filename field at all
 * the message is text only.  Invariants:
 *   - refused (-1, EINVAL) exactly when a header value holds a CR, LF or
 *     other control character but tab, or is not valid UTF-8, or the
 *     file name is empty; and then nothing is written;
 *   - accepted: every line ends in CRLF (the last of a text-only body
 *     may be open) and none passes 998 octets; the Subject, unfolded and
 *     decoded, is the subject trimmed; the text part, decoded, is the
 *     body with its line ends made CRLF; the file name comes back from
 *     Content-Disposition's parameters (RFC 2231 continuations in
 *     order); the boundary never occurs in the content.
 */
#include "fuzz.h"

#include <errno.h>

#include "addr.h"
#include "buf.h"
#include "mime.h"
#include "mime_enc.h"
#include "utf8.h"

/* Whether the MIME writer must refuse v as a header value. */
static int
fuzz_bad_value(const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 1;
	return !utf8_valid(v, strlen(v));
}

/* The value of header name in the header section h (unfolded). */
static char *
fuzz_header(const char *h, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = h, *end;

	for (;;) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == ':')
			break;
		if ((p = strstr(p, "\r\n")) == NULL || p[2] == '\r')
			return NULL;
		p += 2;
	}
	p += nlen + 1;
	for (end = p; (end = strstr(end, "\r\n")) != NULL; end += 2)
		if (end[2] != ' ' && end[2] != '\t')
			break;
	FUZZ_CHECK(end != NULL, "unterminated header %s", name);
	return fuzz_unfold(p, (size_t)(end - p));
}

/* The value of a quoted string starting at *p (at its '"'), unescaped,
 * appended to out at *o; *p is left after it. */
static void
fuzz_unquote(const char **p, char *out, size_t *o)
{
	const char *q = *p + 1;

	for (; *q && *q != '"'; q++) {
		if (*q == '\\' && q[1])
			q++;
		out[(*o)++] = *q;
	}
	FUZZ_CHECK(*q == '"', "unterminated quoted string");
	*p = q + 1;
}

static int
fuzz_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	FUZZ_CHECK(c >= 'A' && c <= 'F', "bad %%XX digit '%c'", c);
	return c - 'A' + 10;
}

/*
 * The file name in Content-Disposition value v, from filename="...",
 * filename*=UTF-8''..., or their RFC 2231 continuations filename*N= and
 * filename*N*=, which must come in order.  malloc'ed.
 */
static char *
fuzz_filename(const char *v)
{
	char *out = malloc(strlen(v) + 1);
	const char *p = v;
	size_t o = 0, nlen;
	long next = 0, n;
	char *end;

	if (out == NULL)
		abort();
	while ((p = strchr(p, ';')) != NULL) {
		p += strspn(p + 1, " \t") + 1;
		if (strncmp(p, "filename", 8) != 0)
			continue;
		p += 8;
		if (*p == '=') {		/* filename="..." */
			p++;
			FUZZ_CHECK(*p == '"', "unquoted filename");
			fuzz_unquote(&p, out, &o);
			continue;
		}
		FUZZ_CHECK(*p == '*', "bad parameter %.20s", p);
		p++;
		if (*p >= '0' && *p <= '9') {	/* a continuation */
			n = strtol(p, &end, 10);
			FUZZ_CHECK(n == next, "piece %ld, not %ld", n, next);
			next++;
			p = end;
			if (*p == '=') {	/* filename*N="..." */
				p++;
				FUZZ_CHECK(*p == '"', "unquoted piece: %.60s",
				    p);
				fuzz_unquote(&p, out, &o);
				continue;
			}
			FUZZ_CHECK(*p == '*', "bad piece %.20s", p);
			p++;
		}
		/* filename*=UTF-8''... or filename*N*=... */
		FUZZ_CHECK(*p == '=', "bad parameter %.20s", p);
		p++;
		if (next <= 1) {
			FUZZ_CHECK(strncmp(p, "UTF-8''", 7) == 0,
			    "no charset");
			p += 7;
		}
		nlen = strcspn(p, ";");
		for (; nlen > 0; p++, nlen--) {
			if (*p == '%') {
				FUZZ_CHECK(nlen >= 3, "cut %%XX");
				out[o++] = (char)(fuzz_hexval(p[1]) << 4 |
				    fuzz_hexval(p[2]));
				p += 2;
				nlen -= 2;
			} else
				out[o++] = *p;
		}
	}
	out[o] = '\0';
	return out;
}

/* Decodes quoted-printable text of n bytes into a malloc'ed buffer. */
static char *
fuzz_qp_decode(const char *p, size_t n, size_t *outlen)
{
	char *out = malloc(n + 1), hex[3] = { 0 };
	size_t i, o = 0;

	if (out == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (p[i] != '=') {
			out[o++] = p[i];
			continue;
		}
		FUZZ_CHECK(i + 2 < n, "'=' at the end");
		if (p[i + 1] == '\r' && p[i + 2] == '\n') {
			i += 2;
			continue;
		}
		hex[0] = p[i + 1];
		hex[1] = p[i + 2];
		FUZZ_CHECK(strspn(hex, "0123456789ABCDEF") == 2,
		    "bad =XX at %zu", i);
		out[o++] = (char)strtol(hex, NULL, 16);
		i += 2;
	}
	*outlen = o;
	return out;
}

/* The body as the reader must see it: LF and CRLF as CRLF. */
static char *
fuzz_crlf(const char *b, size_t *outlen)
{
	size_t n = strlen(b), i, o = 0;
	char *out = malloc(2 * n + 1);

	if (out == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (b[i] == '\n' || (b[i] == '\r' && b[i + 1] == '\n')) {
			out[o++] = '\r';
			out[o++] = '\n';
			if (b[i] == '\r')
				i++;
		} else
			out[o++] = b[i];
	}
	*outlen = o;
	return out;
}

static void
fuzz_mime_check(const char *msg, size_t len, const char *subject,
    const char *body, const char *filename, int text_only)
{
	const char *hend, *text, *tend, *s;
	char *h, *v, *d, *want, *got, boundary[128];
	size_t slen, wlen, glen;

	fuzz_check_lines("message", msg, len, text_only);
	hend = strstr(msg, "\r\n\r\n");
	FUZZ_CHECK(hend != NULL, "no end of headers");
	h = fuzz_strndup((const uint8_t *)msg, (size_t)(hend - msg) + 2);
	FUZZ_CHECK(fuzz_header(h, "Bcc") == NULL, "a Bcc header");

	/* The subject, trimmed, comes back. */
	v = fuzz_header(h, "Subject");
	FUZZ_CHECK(v != NULL, "no Subject");
	s = subject;
	while (*s == ' ' || *s == '\t')
		s++;
	slen = strlen(s);
	while (slen > 0 && (s[slen - 1] == ' ' || s[slen - 1] == '\t'))
		slen--;
	if (strstr(v, "=?UTF-8?B?") != NULL) {
		d = fuzz_decode_words(v);
		FUZZ_CHECK(d != NULL, "Subject not only encoded-words: %s", v);
	} else {
		FUZZ_CHECK(slen == 0 ? v[0] == '\0' : v[0] == ' ',
		    "Subject without its space: \"%s\"", v);
		d = strdup(v[0] ? v + 1 : v);
	}
	FUZZ_CHECK(d && strlen(d) == slen && memcmp(d, s, slen) == 0,
	    "subject \"%.*s\" came back \"%s\"", (int)slen, s, d);
	free(d);
	free(v);

	/* The text part, decoded, is the body. */
	text = hend + 4;
	if (text_only)
		tend = msg + len;
	else {
		v = fuzz_header(h, "Content-Type");
		FUZZ_CHECK(v && (s = strstr(v, "boundary=\"")) != NULL,
		    "no boundary");
		snprintf(boundary, sizeof(boundary), "\r\n--%.*s", (int)
		    strcspn(s + 10, "\""), s + 10);
		free(v);
		/* Past the preamble and the text part's own headers. */
		text = strstr(text, boundary + 2);
		FUZZ_CHECK(text != NULL, "no first delimiter");
		text = strstr(text, "\r\n\r\n");
		FUZZ_CHECK(text != NULL, "no text part headers");
		text += 4;
		tend = strstr(text, boundary);
		FUZZ_CHECK(tend != NULL, "no second delimiter");
		/* The boundary occurs nowhere but in the delimiters. */
		FUZZ_CHECK(strstr(tend + 1, boundary) != NULL &&
		    strstr(strstr(tend + 1, boundary) + 1, boundary) == NULL,
		    "the boundary occurs more than three times");
		FUZZ_CHECK(len >= 4 && memcmp(msg + len - 4, "--\r\n", 4) == 0,
		    "no closing delimiter");
		/* The attachment's name comes back from its parameters. */
		v = fuzz_header(tend + strlen(boundary) + 2,
		    "Content-Disposition");
		FUZZ_CHECK(v != NULL, "no Content-Disposition");
		d = fuzz_filename(v);
		FUZZ_CHECK(strcmp(d, filename) == 0, "filename \"%s\" came "
		    "back \"%s\" from %s", filename, d, v);
		free(d);
		free(v);
	}
	got = fuzz_qp_decode(text, (size_t)(tend - text), &glen);
	want = fuzz_crlf(body, &wlen);
	FUZZ_CHECK(glen == wlen && memcmp(got, want, wlen) == 0,
	    "the body does not come back (%zu bytes, not %zu)", glen, wlen);
	free(got);
	free(want);
	free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int pdf = -1;
	const char *f[6];
	struct addr from_v = { NULL, (char *)"rapports@example.com" };
	struct addr to_v[2] = {
		{ (char *)"Zo\xc3\xab \xc3\x91" "and\xc3\xba",
		    (char *)"z@example.fr" },
		{ NULL, (char *)"b@example.com" } };
	struct addr_list from = { &from_v, 1 }, to = { to_v, 2 };
	struct mime_header extra;
	struct mime_message m;
	struct buf err;
	char *buf, *out = NULL;
	size_t n, outlen = 0, off;
	FILE *fp;
	int rc, bad, text_only;

	n = fuzz_fields(data, size, &buf, f, 6);
	text_only = n < 3;
	off = (size_t)(f[5] - buf);
	if (n < 6)
		off = size;
	if (fuzz_memfd_fill(&pdf, "attachment.pdf", data + off, size - off)
	    == -1) {
		free(buf);
		return 0;
	}
	from_v.display = f[3][0] ? (char *)f[3] : NULL;
	extra.name = "X-Report-Title";
	extra.value = f[4];

	memset(&m, 0, sizeof(m));
	m.from = &from;
	m.to = &to;
	m.subject = f[0];
	m.date = 1795420800;	/* 2026-11-23 08:00:00 UTC */
	m.message_id = "<r42.20261123T080000Z.sendreports@example.com>";
	m.body = f[1];
	m.filename = f[2];
	m.pdf_fd = pdf;
	m.extra = &extra;
	m.nextra = 1;
	m.text_only = text_only;

	bad = fuzz_bad_value(f[0]) || fuzz_bad_value(f[3]) ||
	    fuzz_bad_value(f[4]) || (!text_only && (f[2][0] == '\0' ||
	    fuzz_bad_value(f[2])));
	buf_init(&err, 4096);
	if ((fp = open_memstream(&out, &outlen)) == NULL)
		abort();
	errno = 0;
	rc = mime_write_message(fp, &m, &err);
	FUZZ_CHECK(fclose(fp) == 0, "fclose");
	if (rc == -1) {
		FUZZ_CHECK(bad, "refused a good message: %s", err.data);
		FUZZ_CHECK(errno == EINVAL, "errno %d: %s", errno, err.data);
		FUZZ_CHECK(outlen == 0, "a refused message wrote %zu bytes",
		    outlen);
		FUZZ_CHECK(err.len > 0 && strpbrk(err.data, "\r\n") == NULL,
		    "reason \"%s\"", err.data);
	} else {
		FUZZ_CHECK(rc == 0 && !bad, "accepted a bad header value");
		fuzz_mime_check(out, outlen, f[0], f[1], f[2], text_only);
	}
	free(out);
	free(buf);
	buf_release(&err);
	return 0;
}

/*
 * smtp_wire.c - the message phase's bytes over libcurl's connection
 * (smtp_wire.h): commands queued and sent together, replies read and
 * parsed line by line, dot-stuffing in the pass that copies the body.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "log.h"
#include "os_sys.h"
#include "os_time.h"
#include "smtp_wire.h"

/* Room for a group of commands, or a body piece at twice its size. */
#define SMTP_WIRE_OUT_MAX	((size_t)1 << 20)

void
smtp_wire_init(struct smtp_wire *w, CURL *curl, curl_socket_t sock,
    long timeout_ms, int verbose)
{
	memset(w, 0, sizeof(*w));
	w->curl = curl;
	w->sock = sock;
	w->timeout_ms = timeout_ms;
	w->verbose = verbose;
	buf_init(&w->out, SMTP_WIRE_OUT_MAX);
}

void
smtp_wire_release(struct smtp_wire *w)
{
	buf_release(&w->out);
	w->curl = NULL;
}

static void
smtp_wire_break(struct smtp_wire *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Marks the wire broken, the first reason kept. */
static void
smtp_wire_break(struct smtp_wire *w, const char *fmt, ...)
{
	va_list ap;

	if (w->broken)
		return;
	w->broken = 1;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
}

int
smtp_wire_command(struct smtp_wire *w, const char *fmt, ...)
{
	size_t start = w->out.len;
	va_list ap;
	int rc;

	if (w->broken)
		return -1;
	va_start(ap, fmt);
	rc = buf_vprintf(&w->out, fmt, ap);
	va_end(ap);
	if (rc == 0 && w->verbose)
		log_debug("smtp: > %s", w->out.data + start);
	if (rc == -1 || buf_append(&w->out, "\r\n", 2) == -1) {
		smtp_wire_break(w, "out of memory");
		return -1;
	}
	return 0;
}

/* Waits for the socket; 0 when ready, -1 broken (timeout or error). */
static int
smtp_wire_wait(struct smtp_wire *w, int want_write, long long deadline)
{
	long long left = deadline - os_monotonic_ms();
	int r;

	r = left > 0 ? os_sock_wait((intptr_t)w->sock, want_write,
	    (long)left) : 0;
	if (r == 1)
		return 0;
	if (r == 0) {
		w->timed_out = 1;
		smtp_wire_break(w, "%s within %ld s (timeout)", want_write ?
		    "the server took nothing" : "no reply",
		    (w->timeout_ms + 999) / 1000);
	} else
		smtp_wire_break(w, "waiting for the server: %s",
		    strerror(errno));
	return -1;
}

int
smtp_wire_flush(struct smtp_wire *w)
{
	long long deadline = os_monotonic_ms() + w->timeout_ms;
	size_t off = 0, n;
	CURLcode rc;

	while (!w->broken && off < w->out.len) {
		n = 0;
		rc = curl_easy_send(w->curl, w->out.data + off,
		    w->out.len - off, &n);
		if (rc == CURLE_OK && n > 0) {
			off += n;
			/* A stall, not the whole write, is bounded. */
			deadline = os_monotonic_ms() + w->timeout_ms;
		} else if (rc == CURLE_OK || rc == CURLE_AGAIN)
			(void)smtp_wire_wait(w, 1, deadline);
		else
			smtp_wire_break(w, "sending: %s",
			    curl_easy_strerror(rc));
	}
	buf_reset(&w->out);
	return w->broken ? -1 : 0;
}

/* Reads what the server sent, waiting until deadline.  0, or -1 broken. */
static int
smtp_wire_fill(struct smtp_wire *w, long long deadline)
{
	size_t n;
	CURLcode rc;

	if (w->inlen == sizeof(w->in)) {
		smtp_wire_break(w, "a reply line longer than %d bytes",
		    SMTP_WIRE_LINE_MAX);
		return -1;
	}
	for (;;) {
		n = 0;
		rc = curl_easy_recv(w->curl, w->in + w->inlen,
		    sizeof(w->in) - w->inlen, &n);
		if (rc == CURLE_OK && n > 0) {
			w->inlen += n;
			return 0;
		}
		if (rc == CURLE_OK) {
			smtp_wire_break(w, "the server closed the connection");
			return -1;
		}
		if (rc != CURLE_AGAIN) {
			smtp_wire_break(w, "receiving: %s",
			    curl_easy_strerror(rc));
			return -1;
		}
		if (smtp_wire_wait(w, 0, deadline) == -1)
			return -1;
	}
}

/* The length of s without its trailing CR. */
static size_t
smtp_wire_chomp(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] == '\r')
		n--;
	return n;
}

int
smtp_wire_reply(struct smtp_wire *w, struct buf *text)
{
	long long deadline = os_monotonic_ms() + w->timeout_ms;
	const char *line, *nl;
	size_t n, used;
	int code, final;

	buf_reset(text);
	for (;;) {
		if (w->broken)
			return -1;
		nl = memchr(w->in, '\n', w->inlen);
		if (nl == NULL) {
			(void)smtp_wire_fill(w, deadline);
			continue;
		}
		line = w->in;
		used = (size_t)(nl - line) + 1;
		n = smtp_wire_chomp(line, used - 1);
		if (w->verbose)
			log_debug("smtp: < %.*s", (int)n, line);
		if (n < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' || (n > 3 && line[3] != ' ' &&
		    line[3] != '-')) {
			smtp_wire_break(w, "not an SMTP reply: \"%.*s\"",
			    (int)(n < 60 ? n : 60), line);
			return -1;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		final = n == 3 || line[3] == ' ';
		/* Past the cap the text is cut: it is only for the logs. */
		if (text->len > 0)
			(void)buf_putc(text, '\n');
		(void)buf_append(text, line, n);
		w->inlen -= used;
		memmove(w->in, w->in + used, w->inlen);
		if (final)
			return code;
	}
}

int
smtp_wire_stale(struct smtp_wire *w)
{
	size_t n = 0;
	CURLcode rc;

	if (w->broken)
		return 1;
	if (w->inlen == 0) {
		rc = curl_easy_recv(w->curl, w->in, sizeof(w->in), &n);
		if (rc == CURLE_AGAIN)
			return 0;
		if (rc != CURLE_OK) {
			smtp_wire_break(w, "receiving: %s",
			    curl_easy_strerror(rc));
			return 1;
		}
		if (n == 0) {
			smtp_wire_break(w, "the server closed the connection");
			return 1;
		}
		w->inlen = n;
	}
	for (n = 0; n < w->inlen && n < 80 && w->in[n] != '\r' &&
	    w->in[n] != '\n'; n++)
		continue;
	smtp_wire_break(w, "the server said, unasked: \"%.*s\"", (int)n,
	    w->in);
	return 1;
}

int
smtp_stuff(struct smtp_stuffing *st, const char *piece, size_t n,
    struct buf *out)
{
	const char *p = piece, *end = piece + n, *nl;
	size_t len;

	while (p < end) {
		if (st->at_bol && *p == '.' && buf_putc(out, '.') == -1)
			return -1;
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (buf_append(out, p, len) == -1)
			return -1;
		if (nl != NULL)
			st->at_bol = nl > p ? nl[-1] == '\r' : st->last_cr;
		else
			st->at_bol = 0;
		st->last_cr = p[len - 1] == '\r';
		p += len;
	}
	return 0;
}

int
smtp_stuff_end(const struct smtp_stuffing *st, struct buf *out)
{
	return buf_puts(out, st->at_bol ? ".\r\n" : "\r\n.\r\n");
}

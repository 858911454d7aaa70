/*
 * mime.c - assembles the report e-mail (mime.h).
 *
 * It owns the message layout: which headers, in which order, the
 * multipart skeleton and its boundary, and the rule that every header
 * and part header is built and checked in memory before the first byte
 * goes to the spool file, so a refused message leaves nothing behind.
 * The byte-level encoders are in mime_enc.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "mime.h"
#include "mime_enc.h"

#define MIME_HDR_MAX		(256 * 1024)	/* the whole header section */
#define MIME_DISPLAY_PLAIN_MAX	200	/* longer names are encoded */
#define MIME_MSGID_MAX		900
#define MIME_BOUNDARY_MAX	70	/* RFC 2046 5.1.1 */

/*
 * Headers this module writes itself, or never writes (Bcc): an extra
 * header may not duplicate or smuggle them.  Content-* is refused too.
 */
static const char *const mime_ours[] = {
	"From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID",
	"MIME-Version", "Auto-Submitted", NULL
};

/* Sets err from errno after a buffer refused to grow; keeps errno. */
static int
mime_fail_buf(struct buf *err, const char *what)
{
	int saved = errno;

	buf_reset(err);
	buf_printf(err, "%s: %s", what, saved == EMSGSIZE ?
	    "too long" : strerror(saved));
	errno = saved;
	return -1;
}

static int
mime_refuse(struct buf *err, const char *what, const char *why)
{
	buf_reset(err);
	buf_printf(err, "%s %s", what, why);
	errno = EINVAL;
	return -1;
}

int
mime_date(struct buf *b, time_t t)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm tm;

	/* Not strftime(): %a and %b follow the locale. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 ||
	    tm.tm_year > 9999 - 1900) {
		errno = EINVAL;
		return -1;
	}
	return buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* RFC 5322 atext, for display names that need no quotes. */
static int
mime_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * How a display name goes on the wire: 0 as it is (atoms and single
 * spaces), 1 as a quoted string, 2 as encoded-words (non-ASCII, or too
 * long to stay under 998 octets unfolded).
 */
static int
mime_display_kind(const char *d, size_t len)
{
	size_t i;
	int kind = 0;

	if (len > MIME_DISPLAY_PLAIN_MAX)
		return 2;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];

		if (c >= 0x80)
			return 2;
		if (c == ' ' && i > 0 && i + 1 < len && d[i + 1] != ' ')
			continue;
		/* "=?" would be taken for an encoded-word unquoted. */
		if (!mime_atext(c) || (c == '=' && d[i + 1] == '?'))
			kind = 1;
	}
	return kind;
}

/*
 * A mailbox as the addr module makes them; this only keeps the header
 * whole when a caller built the list by hand.
 */
static int
mime_check_mailbox(const char *what, const char *mb, struct buf *err)
{
	size_t i, len = mb ? strlen(mb) : 0;

	if (len == 0 || len > ADDR_MAILBOX_MAX || strchr(mb, '@') == NULL)
		return mime_refuse(err, what, "address is not local@domain");
	for (i = 0; i < len; i++)
		if ((unsigned char)mb[i] < 0x20 || (unsigned char)mb[i] > 0x7e)
			return mime_refuse(err, what, "address holds a "
			    "character that is not printable ASCII");
	return 0;
}

int
mime_hdr_addrs(struct buf *b, const char *name, const char *what,
    const struct addr_list *l, struct buf *err)
{
	struct buf t;
	char label[64];
	size_t i, j, len;
	int last, rc = -1;

	buf_init(&t, 4 * MIME_DISPLAY_PLAIN_MAX + ADDR_MAILBOX_MAX + 8);
	snprintf(label, sizeof(label), "%s display name", what);
	if (buf_printf(b, "%s:", name) == -1)
		goto nobuf;
	for (i = 0; i < l->n; i++) {
		const struct addr *a = &l->v[i];
		const char *d = a->display;

		last = i + 1 == l->n;
		if (mime_check_mailbox(what, a->mailbox, err) == -1 ||
		    mime_check_value(label, d, err) == -1)
			goto out;
		buf_reset(&t);
		len = d ? strlen(d) : 0;
		if (len > 0) {
			switch (mime_display_kind(d, len)) {
			case 0:
				if (mime_hdr_token(b, d, len) == -1)
					goto nobuf;
				break;
			case 1:
				if (buf_putc(&t, '"') == -1)
					goto nobuf;
				for (j = 0; j < len; j++)
					if (((d[j] == '"' || d[j] == '\\') &&
					    buf_putc(&t, '\\') == -1) ||
					    buf_putc(&t, d[j]) == -1)
						goto nobuf;
				if (buf_putc(&t, '"') == -1 ||
				    mime_hdr_token(b, t.data, t.len) == -1)
					goto nobuf;
				buf_reset(&t);
				break;
			default:
				if (mime_hdr_words(b, d, len) == -1)
					goto nobuf;
			}
			if (buf_printf(&t, "<%s>", a->mailbox) == -1)
				goto nobuf;
		} else if (buf_puts(&t, a->mailbox) == -1)
			goto nobuf;
		if ((!last && buf_putc(&t, ',') == -1) ||
		    mime_hdr_token(b, t.data, t.len) == -1)
			goto nobuf;
	}
	if (buf_puts(b, "\r\n") == -1)
		goto nobuf;
	rc = 0;
	goto out;
nobuf:
	mime_fail_buf(err, "headers");
out:
	buf_release(&t);
	return rc;
}

/* The Message-ID without its <>, checked: id@host in printable ASCII. */
static int
mime_check_msgid(const char *id, struct buf *out, struct buf *err)
{
	size_t len = id ? strlen(id) : 0, i;

	if (len >= 2 && id[0] == '<' && id[len - 1] == '>') {
		id++;
		len -= 2;
	}
	if (len == 0 || len > MIME_MSGID_MAX || memchr(id, '@', len) == NULL)
		return mime_refuse(err, "message-id", "is not id@host");
	for (i = 0; i < len; i++)
		if ((unsigned char)id[i] <= 0x20 ||
		    (unsigned char)id[i] >= 0x7f || strchr("<>\"", id[i]))
			return mime_refuse(err, "message-id", "holds a space, "
			    "a control character or one of <>\"");
	if (buf_append(out, id, len) == -1)
		return mime_fail_buf(err, "message-id");
	return 0;
}

/* The caller's boundary, checked, or one derived from the message. */
static int
mime_boundary(const struct mime_message *m, const char *id, struct buf *out,
    struct buf *err)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 */
	const char *p;
	size_t len;
	int64_t d = (int64_t)m->date;
	int i;

	if (m->boundary == NULL) {
		/* The same message gets the same boundary: reproducible. */
		for (p = id; *p; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
		for (i = 0; i < 8; i++, d >>= 8)
			h = (h ^ (unsigned char)(d & 0xff)) * 0x100000001b3ULL;
		if (buf_printf(out, "=_sendreports_%016llx",
		    (unsigned long long)h) == -1)
			return mime_fail_buf(err, "boundary");
		return 0;
	}
	len = strlen(m->boundary);
	if (len == 0 || len > MIME_BOUNDARY_MAX ||
	    m->boundary[len - 1] == ' ' || strstr(m->boundary, "=_") == NULL)
		return mime_refuse(err, "boundary", "must be 1-70 characters "
		    "holding \"=_\"");
	for (p = m->boundary; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("'()+_,-./:=? ", *p)))
			return mime_refuse(err, "boundary", "holds a "
			    "character RFC 2046 does not allow");
	if (buf_puts(out, m->boundary) == -1)
		return mime_fail_buf(err, "boundary");
	return 0;
}

/* Refuses an extra header that is malformed or is one of ours. */
static int
mime_check_extra(const struct mime_header *x, struct buf *err)
{
	const char *p;
	int i;

	if (x->name == NULL || *x->name == '\0')
		return mime_refuse(err, "extra header", "has no name");
	for (p = x->name; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == ':')
			return mime_refuse(err, "extra header", "name is not "
			    "printable ASCII without ':'");
	if (strlen(x->name) > 76 || strncasecmp(x->name, "Content-", 8) == 0)
		goto ours;
	for (i = 0; mime_ours[i]; i++)
		if (strcasecmp(x->name, mime_ours[i]) == 0)
			goto ours;
	return mime_check_value(x->name, x->value, err);
ours:
	buf_reset(err);
	buf_printf(err, "extra header %s is not allowed", x->name);
	errno = EINVAL;
	return -1;
}

/* Appends " attr="value"" for a value known to need no escape. */
static int
mime_hdr_param_plain(struct buf *h, const char *attr, const char *value)
{
	char tok[MIME_BOUNDARY_MAX + 32];
	int n;

	n = snprintf(tok, sizeof(tok), "%s=\"%s\"", attr, value);
	if (n < 0 || (size_t)n >= sizeof(tok)) {
		errno = EMSGSIZE;
		return -1;
	}
	return mime_hdr_token(h, tok, (size_t)n);
}

/*
 * Builds everything before the body: the message headers, the preamble,
 * the first delimiter and the text part's headers.
 */
static int
mime_build_head(struct buf *h, const struct mime_message *m,
    const char *id, const char *boundary, struct buf *err)
{
	size_t i;

	if (m->from == NULL || m->from->n != 1)
		return mime_refuse(err, "from", "must be exactly one address");
	if (m->to == NULL || m->to->n == 0)
		return mime_refuse(err, "to", "has no recipient");
	if (mime_check_value("subject", m->subject, err) == -1)
		return -1;
	for (i = 0; i < m->nextra; i++)
		if (mime_check_extra(&m->extra[i], err) == -1)
			return -1;
	if (mime_hdr_addrs(h, "From", "from", m->from, err) == -1 ||
	    mime_hdr_addrs(h, "To", "to", m->to, err) == -1 ||
	    (m->cc && m->cc->n > 0 &&
	    mime_hdr_addrs(h, "Cc", "cc", m->cc, err) == -1))
		return -1;
	if (mime_hdr_text(h, "Subject", m->subject) == -1 ||
	    buf_puts(h, "Date: ") == -1)
		return mime_fail_buf(err, "headers");
	if (mime_date(h, m->date) == -1) {
		if (errno == EINVAL)
			return mime_refuse(err, "date", "is out of range");
		return mime_fail_buf(err, "headers");
	}
	if (buf_printf(h, "\r\nMessage-ID: <%s>\r\n", id) == -1 ||
	    buf_puts(h, "MIME-Version: 1.0\r\n"
	    "Auto-Submitted: auto-generated\r\n") == -1)
		return mime_fail_buf(err, "headers");
	for (i = 0; i < m->nextra; i++)
		if (mime_hdr_text(h, m->extra[i].name, m->extra[i].value) == -1)
			return mime_fail_buf(err, "headers");
	if (m->text_only) {
		if (buf_puts(h, "Content-Type: text/plain; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n") ==
		    -1)
			return mime_fail_buf(err, "headers");
		return 0;
	}
	if (buf_puts(h, "Content-Type: multipart/mixed;") == -1 ||
	    mime_hdr_param_plain(h, "boundary", boundary) == -1 ||
	    buf_puts(h, "\r\n\r\n") == -1 ||
	    buf_printf(h, "This is a multi-part message in MIME format.\r\n"
	    "\r\n--%s\r\n", boundary) == -1 ||
	    buf_puts(h, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n") == -1)
		return mime_fail_buf(err, "headers");
	return 0;
}

/* Builds the delimiter and the headers of the attachment part. */
static int
mime_build_attachment(struct buf *h, const char *filename,
    const char *boundary, struct buf *err)
{
	struct buf fallback;
	int rc = -1;

	buf_init(&fallback, MIME_HDR_MAX);
	if (filename == NULL || *filename == '\0')
		return mime_refuse(err, "filename", "is empty");
	if (mime_check_value("filename", filename, err) == -1)
		return -1;
	/* The CRLF before "--" belongs to the delimiter (RFC 2046 5.1.1). */
	if (buf_printf(h, "\r\n--%s\r\n", boundary) == -1 ||
	    mime_ascii_fallback(&fallback, filename) == -1 ||
	    buf_puts(h, "Content-Type: application/pdf") == -1 ||
	    mime_hdr_param(h, "name", fallback.data) == -1 ||
	    buf_puts(h, "\r\nContent-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment") == -1 ||
	    mime_hdr_param(h, "filename", filename) == -1 ||
	    buf_puts(h, "\r\n\r\n") == -1) {
		mime_fail_buf(err, "headers");
		goto out;
	}
	rc = 0;
out:
	buf_release(&fallback);
	return rc;
}

static int
mime_put_all(FILE *out, const char *p, size_t n, struct buf *err)
{
	int saved;

	if (n > 0 && fwrite(p, 1, n, out) != n) {
		saved = errno;
		buf_reset(err);
		buf_printf(err, "write: %s", strerror(saved));
		errno = saved;
		return -1;
	}
	return 0;
}

int
mime_write_message(FILE *out, const struct mime_message *m, struct buf *err)
{
	struct buf id, boundary, head, att;
	const char *body = m->body ? m->body : "";
	int rc = -1, saved;

	buf_init(&id, MIME_MSGID_MAX);
	buf_init(&boundary, MIME_BOUNDARY_MAX);
	buf_init(&head, MIME_HDR_MAX);
	buf_init(&att, MIME_HDR_MAX);
	if (m->pdf_fd < 0 && !m->text_only) {
		mime_refuse(err, "attachment", "has no open file");
		goto out;
	}
	if (mime_check_msgid(m->message_id, &id, err) == -1 ||
	    mime_boundary(m, id.data, &boundary, err) == -1 ||
	    mime_build_head(&head, m, id.data, boundary.data, err) == -1 ||
	    (!m->text_only && mime_build_attachment(&att, m->filename,
	    boundary.data, err) == -1))
		goto out;
	/* From here on nothing is refused: only writes and reads fail. */
	if (mime_put_all(out, head.data, head.len, err) == -1)
		goto out;
	if (mime_qp_write(out, body, strlen(body)) == -1) {
		saved = errno;
		buf_reset(err);
		buf_printf(err, "write: %s", strerror(saved));
		errno = saved;
		goto out;
	}
	if (m->text_only)
		goto flushed;
	if (mime_put_all(out, att.data, att.len, err) == -1 ||
	    mime_base64_write(out, m->pdf_fd, m->pdf_opened, err) == -1)
		goto out;
	buf_reset(&head);
	if (buf_printf(&head, "\r\n--%s--\r\n", boundary.data) == -1) {
		mime_fail_buf(err, "headers");
		goto out;
	}
	if (mime_put_all(out, head.data, head.len, err) == -1)
		goto out;
flushed:
	if (ferror(out)) {
		/* A stdio buffer that failed earlier without telling us. */
		buf_reset(err);
		buf_puts(err, "write: error on the output stream");
		errno = EIO;
		goto out;
	}
	rc = 0;
out:
	saved = errno;
	buf_release(&id);
	buf_release(&boundary);
	buf_release(&head);
	buf_release(&att);
	errno = saved;
	return rc;
}

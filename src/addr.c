/*
 * addr.c - parses the address lists of the reports database (addr.h).
 *
 * It owns the one place where outside text becomes an address: whatever
 * it returns is safe to put in a header (no control character, an ASCII
 * mailbox of the RFC 5321 shape, a valid UTF-8 display name) and in an
 * SMTP RCPT TO.  The grammar is the subset of RFC 5322 that people type
 * into a "recipients" field; anything else is refused with the bad item
 * quoted, so the operator can find it in last_error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "os_libc.h"
#include "utf8.h"

#define ADDR_ITEM_SHOW	80	/* bytes of a bad item quoted in an error */

#define ADDR_WSP(c)	((c) == ' ' || (c) == '\t')

/* RFC 5322 atext: what a dot-atom may hold besides the dots. */
static int
addr_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
addr_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

/*
 * Replaces err with `bad address "ITEM": why`.  The item is cut and its
 * control characters escaped, so the reason stays one line whatever the
 * database held.
 */
static void
addr_fail(struct buf *err, const char *item, size_t len, const char *why)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	buf_reset(err);
	buf_puts(err, "bad address \"");
	for (i = 0; i < len && i < ADDR_ITEM_SHOW; i++) {
		unsigned char c = (unsigned char)item[i];

		if (c == '\r')
			buf_puts(err, "\\r");
		else if (c == '\n')
			buf_puts(err, "\\n");
		else if (c < 0x20 || c == 0x7f) {
			buf_puts(err, "\\x");
			buf_putc(err, hex[c >> 4]);
			buf_putc(err, hex[c & 15]);
		} else
			buf_putc(err, c);
	}
	if (len > ADDR_ITEM_SHOW)
		buf_puts(err, "...");
	buf_printf(err, "\": %s", why);
	errno = EINVAL;
}

/* Checks a domain, or returns why not. */
static const char *
addr_check_domain(const char *d, size_t len)
{
	size_t i, label = 0, dots = 0;

	if (len == 0)
		return "no domain";
	if (len > ADDR_DOMAIN_MAX)
		return "domain longer than 255 characters";
	if (d[0] == '[') {
		/* An address literal: dotted quad or IPv6, loosely checked. */
		unsigned long part = 0;
		size_t digits = 0, parts = 0;

		if (d[len - 1] != ']' || len < 3)
			return "bad address literal";
		if (len > 7 && strncmp(d + 1, "IPv6:", 5) == 0) {
			for (i = 6; i < len - 1; i++)
				if (strchr("0123456789abcdefABCDEF:.", d[i])
				    == NULL)
					return "bad address literal";
			return NULL;
		}
		for (i = 1; i < len; i++) {
			if (d[i] >= '0' && d[i] <= '9') {
				part = part * 10 + (unsigned long)(d[i] - '0');
				if (++digits > 3 || part > 255)
					return "bad address literal";
			} else if (d[i] == '.' || d[i] == ']') {
				if (digits == 0)
					return "bad address literal";
				parts++;
				digits = 0;
				part = 0;
			} else
				return "bad address literal";
		}
		return parts == 4 ? NULL : "bad address literal";
	}
	for (i = 0; i <= len; i++) {
		if (i == len || d[i] == '.') {
			if (label == 0)
				return "empty label in domain";
			if (d[i - 1] == '-')
				return "domain label ends with a hyphen";
			if (label > 63)
				return "domain label longer than 63 characters";
			if (i < len)
				dots++;
			label = 0;
			continue;
		}
		if (ADDR_WSP(d[i]))
			return "space in domain";
		if (d[i] == '@')
			return "more than one @";
		if (!addr_ldh((unsigned char)d[i]))
			return "bad character in domain";
		if (label == 0 && d[i] == '-')
			return "domain label starts with a hyphen";
		label++;
	}
	/* See addr.h: a bare host name is a typo far more often than not. */
	if (dots == 0)
		return "domain has no dot";
	return NULL;
}

/*
 * Checks an addr-spec (local@domain) and, when good, sets *mailbox to a
 * copy of it.  Returns NULL, or why not (*mailbox untouched).
 */
static const char *
addr_check_spec(const char *s, size_t len, char **mailbox)
{
	size_t i, local;
	const char *why;

	if (len == 0)
		return "empty address <>";
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return "non-ASCII characters in the address";
		/* A quoted local part would keep it: the MIME writer and
		 * the SMTP client refuse it, the latter only at flush. */
		if (s[i] == '\t')
			return "tab in the address";
	}
	if (s[0] == '"') {
		/*
		 * A quoted local part: qtext and quoted pairs, one line, but
		 * no '<' or '>', which smtp.c refuses in RCPT TO (libcurl
		 * would paste them into the command as they are).
		 */
		for (i = 1; i < len && s[i] != '"'; i++) {
			if (s[i] == '\\' && ++i == len)
				break;
			if (s[i] == '<' || s[i] == '>')
				return "< or > in a quoted local part";
		}
		if (i >= len)
			return "unbalanced quote";
		local = i + 1;
		if (local == 2)
			return "empty local part";
		if (local == len || s[local] != '@')
			return "text after the quoted local part";
	} else {
		for (local = 0; local < len && s[local] != '@'; local++) {
			if (ADDR_WSP(s[local]))
				return "space in local part";
			if (s[local] == '.' ?
			    local == 0 || s[local - 1] == '.' :
			    !addr_atext((unsigned char)s[local]))
				return "bad character in local part";
		}
		if (local == len)
			return "no @";
		if (local == 0)
			return "no local part";
		if (s[local - 1] == '.')
			return "bad character in local part";
	}
	if (local > ADDR_LOCAL_MAX)
		return "local part longer than 64 characters";
	if ((why = addr_check_domain(s + local + 1, len - local - 1)) != NULL)
		return why;
	if (len > ADDR_MAILBOX_MAX)
		return "address longer than 254 characters";
	if ((*mailbox = strndup(s, len)) == NULL)
		return "out of memory";
	return NULL;
}

/*
 * Parses a display name, quoted or not, into *display (NULL when empty).
 * Returns NULL, or why not.
 */
static const char *
addr_parse_display(const char *s, size_t len, char **display)
{
	struct buf b;
	size_t i = 0, end = len;
	int quoted = 0;
	const char *why = NULL;

	buf_init(&b, ADDR_DISPLAY_MAX);
	if (len > 0 && s[0] == '"') {
		quoted = 1;
		for (end = 1; end < len && s[end] != '"'; end++)
			if (s[end] == '\\')
				end++;
		if (end >= len)
			return "unbalanced quote";
		if (end != len - 1)
			return "text after the quoted name";
		i = 1;
	}
	for (; i < end; i++) {
		char c = s[i];

		if (quoted && c == '\\') {
			if (++i == end) {
				why = "unbalanced quote";
				goto out;
			}
			c = s[i];
		} else if (c == '"') {
			why = "quote inside a name";
			goto out;
		}
		/* One space for any run, so names fold cleanly. */
		if (ADDR_WSP(c)) {
			if (b.len == 0 || b.data[b.len - 1] == ' ')
				continue;
			c = ' ';
		}
		if (buf_putc(&b, c) == -1) {
			why = errno == ENOMEM ? "out of memory" :
			    "name longer than 256 bytes";
			goto out;
		}
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	if (!utf8_valid(b.data, b.len)) {
		why = "name is not valid UTF-8";
		goto out;
	}
	*display = NULL;
	if (b.len > 0 && (*display = buf_detach(&b, NULL)) == NULL)
		why = "out of memory";
out:
	buf_release(&b);
	return why;
}

/* Parses one non-empty item of a list into a.  Returns NULL or why not. */
static const char *
addr_parse_item(const char *s, size_t len, struct addr *a)
{
	size_t i, lt = len, gt = len, a0, a1;
	int inq = 0;
	const char *why;

	a->display = a->mailbox = NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n')
			return "contains a line break";
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "contains a control character";
	}
	/* Where the angle brackets are, outside quoted strings. */
	for (i = 0; i < len; i++) {
		if (inq) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				inq = 0;
		} else if (s[i] == '"')
			inq = 1;
		else if (s[i] == '<') {
			if (lt != len)
				return "unbalanced <";
			lt = i;
		} else if (s[i] == '>') {
			if (lt == len || gt != len)
				return "unbalanced >";
			gt = i;
		}
	}
	if (inq)
		return "unbalanced quote";
	if (lt == len)
		return addr_check_spec(s, len, &a->mailbox);
	if (gt == len)
		return "unbalanced <";
	for (i = gt + 1; i < len; i++)
		if (!ADDR_WSP(s[i]))
			return "text after >";
	for (a0 = lt + 1; a0 < gt && ADDR_WSP(s[a0]); a0++)
		;
	for (a1 = gt; a1 > a0 && ADDR_WSP(s[a1 - 1]); a1--)
		;
	if ((why = addr_check_spec(s + a0, a1 - a0, &a->mailbox)) != NULL)
		return why;
	for (i = lt; i > 0 && ADDR_WSP(s[i - 1]); i--)
		;
	if ((why = addr_parse_display(s, i, &a->display)) != NULL) {
		free(a->mailbox);
		a->mailbox = NULL;
	}
	return why;
}

/*
 * Returns the end of the item that starts at s: a comma outside quotes
 * and angle brackets, or the end of the text.
 */
static const char *
addr_item_end(const char *s)
{
	int inq = 0, angle = 0;

	for (; *s; s++) {
		if (inq) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '"')
				inq = 0;
		} else if (*s == '"')
			inq = 1;
		else if (*s == '<')
			angle = 1;
		else if (*s == '>')
			angle = 0;
		else if (*s == ',' && !angle)
			break;
	}
	return s;
}

int
addr_list_parse(struct addr_list *out, const char *text, struct buf *err)
{
	struct addr_list tmp = { NULL, 0 };
	struct addr a, *v;
	size_t cap = 0, len;
	const char *p = text ? text : "", *end, *why;
	int rc = -1;

	while (*p) {
		while (ADDR_WSP(*p))
			p++;
		end = addr_item_end(p);
		for (len = (size_t)(end - p); len > 0 && ADDR_WSP(p[len - 1]);
		    len--)
			;
		if (len > 0) {
			if ((why = addr_parse_item(p, len, &a)) != NULL) {
				addr_fail(err, p, len, why);
				goto out;
			}
			if (tmp.n == cap) {
				cap = cap ? cap * 2 : 4;
				v = reallocarray(tmp.v, cap, sizeof(*v));
				if (v == NULL) {
					free(a.display);
					free(a.mailbox);
					goto nomem;
				}
				tmp.v = v;
			}
			tmp.v[tmp.n++] = a;
		}
		p = *end ? end + 1 : end;
	}
	if (tmp.n == 0) {
		buf_reset(err);
		buf_puts(err, "no recipient");
		errno = EINVAL;
		goto out;
	}
	v = reallocarray(out->v, out->n + tmp.n, sizeof(*v));
	if (v == NULL)
		goto nomem;
	/* From here on nothing fails: out takes every string of tmp. */
	memcpy(v + out->n, tmp.v, tmp.n * sizeof(*v));
	out->v = v;
	out->n += tmp.n;
	free(tmp.v);
	return 0;
nomem:
	buf_reset(err);
	buf_puts(err, "out of memory");
	errno = ENOMEM;
out:
	addr_list_release(&tmp);
	return rc;
}

void
addr_list_release(struct addr_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].display);
		free(l->v[i].mailbox);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

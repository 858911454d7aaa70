/*
 * conf_check.c - the values of the configuration that parse but cannot
 * work, for conf.c: an unknown time zone, smtps:// with tls = none, a
 * username without TLS, an unknown run user, backoff_max below
 * backoff_min (conf_validate), each told with the line its key was read
 * from: conf_load() fails on the first, conf_load_all() records each
 * (conf_problem).  The time zone, when the file names none, is the
 * box's, filled in here.  And a file holding a secret must be private
 * (conf_check_secret_file, for conf_load() and the password file).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "conf_parse.h"
#include "os_proc.h"
#include "os_perm.h"
#include "timeutil.h"

int
conf_check_secret_file(const char *path, const char *what, struct buf *err)
{
	char why[OS_PERM_WHY_MAX], fix[OS_PERM_FIX_MAX];

	/* why completes "is": on POSIX the message stays the one users
	 * and tests know, "... is accessible by group or others (mode
	 * 0644); chmod 600 it". */
	switch (os_perm_private(path, why, sizeof(why), fix, sizeof(fix))) {
	case 0:
		return 0;
	case 1:
		buf_printf(err, "%s '%s' is %s; %s", what, path, why, fix);
		return -1;
	default:
		buf_printf(err, "%s '%s': %s", what, path, strerror(errno));
		return -1;
	}
}

/*
 * A value that parsed but cannot work, at `line` (0: not from the file).
 * Recorded in c->problems with conf_load_all(); else the message goes to
 * err and -1 is returned, which ends the load.
 */
static int
conf_problem(struct conf_parse *p, const char *what, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
conf_problem(struct conf_parse *p, const char *what, int line,
    const char *fmt, ...)
{
	struct conf *c = p->c;
	struct buf msg;
	va_list ap;
	int rv = -1;

	buf_init(&msg, BUF_MAX_DEFAULT);
	if (p->path != NULL && line > 0)
		buf_printf(&msg, "%s: line %d: ", p->path, line);
	else if (p->path != NULL)
		buf_printf(&msg, "%s: ", p->path);
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (!p->all) {
		buf_reset(p->err);
		buf_append(p->err, msg.data, msg.len);
		goto out;
	}
	if (c->nproblems < CONF_PROBLEMS_MAX) {
		c->problems[c->nproblems].what = what;
		if ((c->problems[c->nproblems].text = buf_detach(&msg,
		    NULL)) == NULL) {
			buf_printf(p->err, "out of memory");
			goto out;
		}
		c->nproblems++;
	}
	rv = 0;
out:
	buf_release(&msg);
	return rv;
}

/* Whether url is implicit TLS (smtps://); the rest is smtp.c's to check. */
static int
conf_url_is_smtps(const char *url)
{
	return url != NULL && strncasecmp(url, "smtps://", 8) == 0;
}

/*
 * Checks the values that parsed but cannot work, and fills in the time
 * zone when the file names none.  0, or -1 (err set) on the first
 * problem unless p->all.
 */
/* A name EHLO may give (RFC 5321 4.1.1.1): a domain, or an address
 * literal in brackets. */
static int
conf_helo_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 255)
		return 0;
	if (h[0] == '[')
		return h[n - 1] == ']' && n > 2 && strspn(h + 1,
		    "0123456789abcdefABCDEF.:IPv") == n - 2;
	return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-.") == n && h[0] != '-' && h[0] != '.';
}

/* Pins: base64 SHA-256 digests (44 characters, one '=' at the end),
 * separated by ';'. */
static int
conf_pins_ok(const char *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	size_t n;

	for (;;) {
		n = strspn(s, b64);
		if (n != 43 || s[n] != '=')
			return 0;
		s += n + 1;
		if (*s == '\0')
			return 1;
		if (*s++ != ';')
			return 0;
	}
}

int
conf_validate(struct conf_parse *p)
{
	struct conf *c = p->c;
	char zone[TIME_ZONE_NAME_MAX];
	int smtps = conf_url_is_smtps(c->smtp_url);
	int known;

	if (c->timezone == NULL) {
		/* No [mail] timezone: the box's, never a guess of ours. */
		c->timezone_source = time_zone_default(zone, sizeof(zone));
		if ((c->timezone = strdup(zone)) == NULL) {
			buf_printf(p->err, "out of memory");
			return -1;
		}
	} else {
		c->timezone_source = "[mail] timezone";
		if (time_zone_check(c->timezone) == -1 &&
		    conf_problem(p, "timezone", conf_key_line(p, "mail",
		    "timezone"), "unknown time zone \"%s\": name an IANA "
		    "zone (Europe/Paris, UTC), or leave [mail] timezone out "
		    "for the box's own", c->timezone) == -1)
			return -1;
	}
	if (c->fallback_url != NULL && strncasecmp(c->fallback_url, "smtp://",
	    7) != 0 && strncasecmp(c->fallback_url, "smtps://", 8) != 0 &&
	    conf_problem(p, "smtp fallback_url", conf_key_line(p, "smtp",
	    "fallback_url"), "[smtp] fallback_url \"%.100s\": not an smtp:// "
	    "or smtps:// URL", c->fallback_url) == -1)
		return -1;
	if (c->fallback_url != NULL && conf_url_is_smtps(c->fallback_url) &&
	    c->tls == CONF_TLS_NONE && conf_problem(p, "smtp tls",
	    conf_key_line(p, "smtp", "tls"), "tls = none, but the "
	    "fallback %s is implicit TLS", c->fallback_url) == -1)
		return -1;
	if (smtps && c->tls == CONF_TLS_NONE && conf_problem(p, "smtp tls",
	    conf_key_line(p, "smtp", "tls"), "tls = none, but %s is "
	    "implicit TLS: remove tls = none, or use smtp:// for clear text",
	    c->smtp_url) == -1)
		return -1;
	/* SPEC: no password over a connection without TLS.  libcurl cannot
	 * stop between a missing STARTTLS and AUTH (see smtp.h), so only
	 * smtps:// or tls = required may carry one. */
	if (c->username != NULL && !smtps && c->tls != CONF_TLS_REQUIRED &&
	    conf_problem(p, "smtp auth", conf_key_line(p, "smtp",
	    "username"), "[smtp] username is set but tls = %s: the password "
	    "could go out in clear text; set tls = required (STARTTLS) or "
	    "use smtps://", c->tls == CONF_TLS_NONE ? "none" :
	    "opportunistic") == -1)
		return -1;
	if (c->helo != NULL && !conf_helo_ok(c->helo) && conf_problem(p,
	    "smtp helo", conf_key_line(p, "smtp", "helo"), "[smtp] helo "
	    "\"%.100s\": not a domain name (mail.example.com) nor an address "
	    "literal ([192.0.2.1])", c->helo) == -1)
		return -1;
	if (c->pin_sha256 != NULL && !conf_pins_ok(c->pin_sha256) &&
	    conf_problem(p, "smtp pin_sha256", conf_key_line(p, "smtp",
	    "pin_sha256"), "[smtp] pin_sha256: not base64 SHA-256 digests of "
	    "public keys (44 characters each, ';' between them; `openssl "
	    "x509 -pubkey -noout -in CERT | openssl pkey -pubin -outform der "
	    "| openssl dgst -sha256 -binary | base64` prints one)") == -1)
		return -1;
	if (c->pin_sha256 != NULL && !smtps && c->tls != CONF_TLS_REQUIRED &&
	    conf_problem(p, "smtp pin_sha256", conf_key_line(p, "smtp",
	    "pin_sha256"), "[smtp] pin_sha256 needs TLS: set tls = required "
	    "or use smtps://") == -1)
		return -1;
	if (c->run_user != NULL && (known = os_user_exists(c->run_user)) !=
	    1 && conf_problem(p, "run user", conf_key_line(p, "run", "user"),
	    known == 0 ? "[run] user \"%s\": no such user on this box" :
	    "[run] user \"%s\": this system does not switch users: run the "
	    "task as that account instead", c->run_user) == -1)
		return -1;
	if (c->backoff_max_s < c->backoff_min_s &&
	    conf_problem(p, "retry", conf_key_line(p, "retry", "backoff_max"),
	    "[retry] backoff_max is below backoff_min") == -1)
		return -1;
	return 0;
}

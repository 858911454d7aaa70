/*
 * conf.c - reads the INI configuration with inih: the table of keys,
 * the defaults, the values parsed into struct conf, and conf_load().
 * The lines are handed to inih by conf_read.c; the values that parse but
 * cannot work are checked by conf_check.c (conf_parse.h: the parse in
 * progress, which the three files share).
 *
 * One table describes every key: its section, its name, its kind and where
 * it goes in struct conf.  A key that is not in the table is an error that
 * names it, so a typo never silently leaves a default in force.  The line
 * each key was read from is kept while the file is read, so that a value
 * that parsed but cannot work (an unknown zone, a password without TLS,
 * an unknown run user) is reported with its line too.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <ini.h>

#include "conf.h"
#include "conf_parse.h"
#include "os_fs.h"

enum conf_kind {
	CONF_STR,	/* text, kept as written */
	CONF_PATH,	/* a path, made absolute against the file's dir */
	CONF_INT,	/* a non-negative integer */
	CONF_DURATION,	/* seconds, or a number with s, m, h, d */
	CONF_BOOL,	/* yes/no, true/false, on/off, 1/0 */
	CONF_TLSMODE,
	CONF_LEVEL
};

struct conf_key {
	const char	*section;
	const char	*name;
	enum conf_kind	 kind;
	size_t		 offset;
	long		 min, max;	/* for numbers */
};

/*
 * The longest [retry] duration: flush adds a backoff to the clock and
 * status multiplies backoff_max, which overflowed with values near
 * LONG_MAX (found by fuzz_conf); ten years is past any sensible retry.
 */
#define CONF_DURATION_MAX	(10L * 366 * 86400)

#define S(f)	offsetof(struct conf, f)
static const struct conf_key conf_keys[] = {
	{ "database", "path", CONF_PATH, S(db_path), 0, 0 },
	{ "database", "table", CONF_STR, S(table), 0, 0 },
	{ "database", "busy_timeout_ms", CONF_INT, S(busy_timeout_ms), 0,
	    3600000 },
	{ "spool", "dir", CONF_PATH, S(spool_dir), 0, 0 },
	{ "pdf", "dir", CONF_PATH, S(pdf_dir), 0, 0 },
	{ "pdf", "font", CONF_PATH, S(font), 0, 0 },
	{ "pdf", "max_attachment_mb", CONF_INT, S(max_attachment_mb), 1,
	    2048 },
	{ "pdf", "max_pages", CONF_INT, S(max_pages), 1, 1000000 },
	{ "mail", "from", CONF_STR, S(from), 0, 0 },
	{ "mail", "timezone", CONF_STR, S(timezone), 0, 0 },
	{ "mail", "default_body", CONF_STR, S(default_body), 0, 0 },
	{ "mail", "notify", CONF_STR, S(notify), 0, 0 },
	{ "smtp", "url", CONF_STR, S(smtp_url), 0, 0 },
	{ "smtp", "tls", CONF_TLSMODE, S(tls), 0, 0 },
	{ "smtp", "ca_file", CONF_PATH, S(ca_file), 0, 0 },
	{ "smtp", "fallback_url", CONF_STR, S(fallback_url), 0, 0 },
	{ "smtp", "helo", CONF_STR, S(helo), 0, 0 },
	{ "smtp", "pin_sha256", CONF_STR, S(pin_sha256), 0, 0 },
	{ "smtp", "username", CONF_STR, S(username), 0, 0 },
	{ "smtp", "password", CONF_STR, S(password), 0, 0 },
	{ "smtp", "password_file", CONF_PATH, S(password_file), 0, 0 },
	{ "smtp", "timeout", CONF_DURATION, S(smtp_timeout_s), 1, 3600 },
	{ "retry", "backoff_min", CONF_DURATION, S(backoff_min_s), 1,
	    CONF_DURATION_MAX },
	{ "retry", "backoff_max", CONF_DURATION, S(backoff_max_s), 1,
	    CONF_DURATION_MAX },
	{ "retry", "max_age", CONF_DURATION, S(max_age_s), 0,
	    CONF_DURATION_MAX },
	{ "retry", "min_attempts", CONF_INT, S(min_attempts), 0, 1000 },
	{ "clock", "require_sync", CONF_BOOL, S(require_sync), 0, 0 },
	{ "log", "level", CONF_LEVEL, S(log_level), 0, 0 },
	{ "log", "syslog", CONF_BOOL, S(syslog), 0, 0 },
	{ "run", "user", CONF_STR, S(run_user), 0, 0 },
};
#define CONF_NKEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))
#undef S

/* The string defaults; numbers are set in conf_defaults(). */
static const struct {
	size_t		 offset;
	const char	*value;
} conf_default_strings[] = {
	{ offsetof(struct conf, db_path), CONF_DEFAULT_DB },
	{ offsetof(struct conf, table), "scheduled_reports" },
	{ offsetof(struct conf, spool_dir), CONF_DEFAULT_SPOOL },
	{ offsetof(struct conf, pdf_dir), CONF_DEFAULT_PDF },
	{ offsetof(struct conf, from), "Rapports <rapports@example.com>" },
	{ offsetof(struct conf, default_body),
	    "Veuillez trouver ci-joint le rapport." },
	{ offsetof(struct conf, smtp_url), "smtp://localhost:25" },
};

static char **
conf_str_field(struct conf *c, size_t offset)
{
	return (char **)(void *)((char *)c + offset);
}

/* Whether the string at offset has a default: then it cannot be unset. */
static int
conf_has_default(size_t offset)
{
	size_t i;

	for (i = 0; i < sizeof(conf_default_strings) /
	    sizeof(conf_default_strings[0]); i++)
		if (conf_default_strings[i].offset == offset)
			return 1;
	return 0;
}

static int
conf_defaults(struct conf *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->busy_timeout_ms = 5000;
	c->max_attachment_mb = 20;
	c->max_pages = 2000;
	c->tls = CONF_TLS_REQUIRED;
	c->smtp_timeout_s = 30;
	c->backoff_min_s = 60;
	c->backoff_max_s = 3600;
	c->max_age_s = 5 * 86400;
	c->min_attempts = 5;
	c->require_sync = 0;
	c->log_level = LOG_LEVEL_INFO;
	c->syslog = 1;
	for (i = 0; i < sizeof(conf_default_strings) /
	    sizeof(conf_default_strings[0]); i++) {
		char **f = conf_str_field(c, conf_default_strings[i].offset);

		if ((*f = strdup(conf_default_strings[i].value)) == NULL)
			return -1;
	}
	return 0;
}

void
conf_release(struct conf *c)
{
	size_t i;

	free(c->path);
	c->path = NULL;
	for (i = 0; i < c->nproblems && i < CONF_PROBLEMS_MAX; i++) {
		free(c->problems[i].text);
		c->problems[i].text = NULL;
	}
	c->nproblems = 0;
	for (i = 0; i < CONF_NKEYS; i++) {
		if (conf_keys[i].kind == CONF_STR ||
		    conf_keys[i].kind == CONF_PATH) {
			char **f = conf_str_field(c, conf_keys[i].offset);

			free(*f);
			*f = NULL;
		}
	}
}

/* Parses "90", "90s", "15m", "2h", "5d" into seconds. */
static int
conf_parse_duration(const char *v, long *out)
{
	char *end;
	long n, unit = 1;

	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || errno || n < 0)
		return -1;
	switch (*end) {
	case '\0': case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -1;
	}
	if (*end && end[1] != '\0')
		return -1;
	if (n > LONG_MAX / unit)
		return -1;
	*out = n * unit;
	return 0;
}

static int
conf_parse_bool(const char *v, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
conf_set(struct conf_parse *p, const struct conf_key *k, const char *v)
{
	struct conf *c = p->c;
	char *end, **f;
	long n;
	int b;

	switch (k->kind) {
	case CONF_STR:
	case CONF_PATH:
		f = conf_str_field(c, k->offset);
		if (*v == '\0' && conf_has_default(k->offset)) {
			buf_printf(p->err, "[%s] %s must not be empty",
			    k->section, k->name);
			return -1;
		}
		free(*f);
		*f = NULL;
		if (*v == '\0')
			return 0;	/* "key =" unsets an optional value */
		if (k->kind == CONF_PATH && !os_path_absolute(v) && p->dir) {
			struct buf joined;

			buf_init(&joined, PATH_MAX);
			if (buf_printf(&joined, "%s%s", p->dir, v) == -1) {
				buf_release(&joined);
				goto bad;
			}
			*f = buf_detach(&joined, NULL);
		} else
			*f = strdup(v);
		if (*f == NULL)
			goto bad;
		return 0;
	case CONF_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (end == v || *end || errno || n < k->min || n > k->max)
			goto bad;
		*(long *)(void *)((char *)c + k->offset) = n;
		return 0;
	case CONF_DURATION:
		if (conf_parse_duration(v, &n) == -1 || n < k->min ||
		    n > k->max)
			goto bad;
		*(long *)(void *)((char *)c + k->offset) = n;
		return 0;
	case CONF_BOOL:
		if (conf_parse_bool(v, &b) == -1)
			goto bad;
		*(int *)(void *)((char *)c + k->offset) = b;
		return 0;
	case CONF_TLSMODE:
		if (strcmp(v, "required") == 0)
			c->tls = CONF_TLS_REQUIRED;
		else if (strcmp(v, "opportunistic") == 0)
			c->tls = CONF_TLS_OPPORTUNISTIC;
		else if (strcmp(v, "none") == 0)
			c->tls = CONF_TLS_NONE;
		else
			goto bad;
		return 0;
	case CONF_LEVEL:
		if (strcmp(v, "error") == 0)
			c->log_level = LOG_LEVEL_ERROR;
		else if (strcmp(v, "warning") == 0)
			c->log_level = LOG_LEVEL_WARNING;
		else if (strcmp(v, "info") == 0)
			c->log_level = LOG_LEVEL_INFO;
		else if (strcmp(v, "debug") == 0)
			c->log_level = LOG_LEVEL_DEBUG;
		else
			goto bad;
		return 0;
	}
bad:
	/* A password is never echoed back, even when it is the bad value. */
	if (strcmp(k->name, "password") == 0)
		buf_printf(p->err, "bad value for [%s] %s", k->section,
		    k->name);
	else
		buf_printf(p->err, "bad value for [%s] %s: \"%s\"",
		    k->section, k->name, v);
	return -1;
}

/*
 * inih's callback: returns 1 to go on, or 0 to fail this line, whose
 * number ini_parse_file() then returns; the message waits in p->err.
 */
static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_parse *p = user;
	int known_section = 0;
	size_t i;

	if (p->err->len)
		return 0;
	/* Whatever this call finds wrong belongs to the line just read. */
	p->err_line = p->line;
	if (strlen(value) > CONF_VALUE_MAX) {
		buf_printf(p->err, "value of [%s] %s is too long", section,
		    name);
		return 0;
	}
	for (i = 0; i < CONF_NKEYS; i++) {
		if (strcmp(conf_keys[i].section, section) != 0)
			continue;
		known_section = 1;
		if (strcmp(conf_keys[i].name, name) == 0) {
			p->key_line[i] = p->line;
			return conf_set(p, &conf_keys[i], value) == 0;
		}
	}
	if (known_section)
		buf_printf(p->err, "unknown key \"%s\" in [%s]", name,
		    section);
	else if (*section == '\0')
		buf_printf(p->err, "key \"%s\" outside a section", name);
	else
		buf_printf(p->err, "unknown section [%s]", section);
	return 0;
}

/* The directory part of path, with a trailing '/'; NULL on ENOMEM. */
static char *
conf_dirname(const char *path)
{
	const char *slash = os_path_last_sep(path);
	struct buf b;

	buf_init(&b, PATH_MAX);
	if (slash == NULL) {
		if (buf_puts(&b, "./") == -1)
			goto fail;
	} else if (buf_append(&b, path, (size_t)(slash - path) + 1) == -1)
		goto fail;
	return buf_detach(&b, NULL);
fail:
	buf_release(&b);
	return NULL;
}

/* The line of the file where [section] name was set, 0 when it was not. */
int
conf_key_line(const struct conf_parse *p, const char *section,
    const char *name)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    strcmp(conf_keys[i].name, name) == 0)
			return p->key_line[i];
	return 0;
}

/* Puts "FILE: line N: " (or "FILE: ") before the message in err. */
static void
conf_prefix_error(struct buf *err, const char *path, int line)
{
	struct buf msg;

	buf_init(&msg, BUF_MAX_DEFAULT);
	if (line > 0)
		buf_printf(&msg, "%s: line %d: %s", path, line, err->data);
	else
		buf_printf(&msg, "%s: %s", path, err->data);
	buf_reset(err);
	buf_append(err, msg.data, msg.len);
	buf_release(&msg);
}

static int
conf_load_mode(struct conf *c, const char *path, int all, struct buf *err)
{
	struct conf_parse p;
	int key_line[CONF_NKEYS];
	const char *env = getenv("SENDREPORTS_CONFIG");
	int explicit = 1, rc, line, rv = -1;
	struct stat st;
	FILE *fp = NULL;

	memset(&p, 0, sizeof(p));
	memset(key_line, 0, sizeof(key_line));
	p.key_line = key_line;
	p.c = c;
	p.err = err;
	p.all = all;
	p.line_max = conf_inih_line_max();
	buf_init(&p.pending, CONF_LINE_MAX + 8);
	if (path == NULL && env && *env)
		path = env;
	if (path == NULL) {
		path = CONF_DEFAULT_PATH;
		explicit = 0;
	}
	if (conf_defaults(c) == -1) {
		buf_printf(err, "out of memory");
		goto out;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !explicit) {
			rv = conf_validate(&p);	/* the built-in defaults */
			goto out;
		}
		buf_printf(err, "cannot open '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	/* fopen() of a directory succeeds on Linux, and reads nothing. */
	if (fstat(fileno(fp), &st) == -1) {
		buf_printf(err, "cannot read '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		buf_printf(err, "cannot read '%s': it is a directory, not a "
		    "configuration file", path);
		goto out;
	}
	if ((c->path = strdup(path)) == NULL ||
	    (p.dir = conf_dirname(path)) == NULL) {
		buf_printf(err, "out of memory");
		goto out;
	}
	p.fp = fp;
	p.path = path;
	rc = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	if (p.read_errno != 0) {
		buf_reset(err);
		buf_printf(err, "cannot read '%s': %s", path,
		    strerror(p.read_errno));
		goto out;
	}
	if (rc != 0 || err->len != 0) {
		/*
		 * inih reports the first bad line; a syntax error does not
		 * reach the handler (nor the reader's long line), so it may
		 * come before ours.  Every line reached inih whole, so its
		 * count and ours agree.
		 */
		line = p.err_line;
		if (err->len == 0 || (rc > 0 && rc < p.err_line)) {
			buf_reset(err);
			buf_printf(err, "syntax error");
			line = rc;
		}
		conf_prefix_error(err, path, line);
		goto out;
	}
	if (conf_validate(&p) == -1)
		goto out;
	/*
	 * A secret must not be readable by anyone else: the file holding
	 * the password, or the password file it names.
	 */
	if (c->password && conf_check_secret_file(path,
	    "configuration holding a password", err) == -1)
		goto out;
	if (c->password_file && conf_check_secret_file(c->password_file,
	    "password file", err) == -1)
		goto out;
	rv = 0;
out:
	if (fp)
		fclose(fp);
	free(p.dir);
	buf_release(&p.pending);
	if (rv == -1)
		conf_release(c);
	return rv;
}

int
conf_load(struct conf *c, const char *path, struct buf *err)
{
	return conf_load_mode(c, path, 0, err);
}

int
conf_load_all(struct conf *c, const char *path, struct buf *err)
{
	return conf_load_mode(c, path, 1, err);
}

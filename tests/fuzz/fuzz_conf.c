/*
 * fuzz_conf.c - the INI configuration parser (conf.c, inih).
 *
 * The input is a configuration file.  conf_load() reads it from a memory
 * file through its /proc/self/fd path, so the parser sees what it sees
 * in production: a named file, relative paths made absolute against its
 * directory, the secret-file check (the memory file is 0600).
 *
 * Invariants: conf_load() returns 0 or -1; on -1 a one-line reason and
 * nothing left to free; on 0 every string with a default is set, every
 * number is in its documented range (durations within ten years, which
 * the clock arithmetic of flush and status can take), relative paths
 * became absolute, and conf_release() is safe twice.
 */
#include "fuzz.h"

#include <limits.h>
#include <sys/stat.h>

#include "conf.h"

#define FUZZ_DURATION_MAX	(11L * 366 * 86400)

static void
fuzz_conf_check(const struct conf *c)
{
	const char *paths[] = { c->db_path, c->spool_dir, c->pdf_dir,
	    c->font, c->ca_file, c->password_file };
	size_t i;

	FUZZ_CHECK(c->path != NULL, "no path");
	FUZZ_CHECK(c->db_path && c->table && c->spool_dir && c->pdf_dir &&
	    c->from && c->timezone && c->default_body && c->smtp_url,
	    "a string with a default is NULL");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		FUZZ_CHECK(paths[i] == NULL || paths[i][0] == '/',
		    "path \"%s\" is not absolute", paths[i]);
	FUZZ_CHECK(c->busy_timeout_ms >= 0 && c->busy_timeout_ms <= 3600000,
	    "busy_timeout_ms %ld", c->busy_timeout_ms);
	FUZZ_CHECK(c->max_attachment_mb >= 1 && c->max_attachment_mb <= 2048,
	    "max_attachment_mb %ld", c->max_attachment_mb);
	FUZZ_CHECK(c->max_pages >= 1 && c->max_pages <= 1000000,
	    "max_pages %ld", c->max_pages);
	FUZZ_CHECK(c->smtp_timeout_s >= 1 && c->smtp_timeout_s <= 3600,
	    "timeout %ld", c->smtp_timeout_s);
	FUZZ_CHECK(c->backoff_min_s >= 1 && c->backoff_max_s >=
	    c->backoff_min_s, "backoff %ld-%ld", c->backoff_min_s,
	    c->backoff_max_s);
	FUZZ_CHECK(c->max_age_s >= 0, "max_age %ld", c->max_age_s);
	/* flush adds a backoff to the clock, status multiplies the longest:
	 * a duration must leave room for both (ten years and a bit). */
	FUZZ_CHECK(c->backoff_max_s <= FUZZ_DURATION_MAX &&
	    c->max_age_s <= FUZZ_DURATION_MAX, "a duration of more than "
	    "ten years: backoff_max %ld, max_age %ld", c->backoff_max_s,
	    c->max_age_s);
	FUZZ_CHECK(c->min_attempts >= 0 && c->min_attempts <= 1000,
	    "min_attempts %ld", c->min_attempts);
	FUZZ_CHECK(c->tls == CONF_TLS_REQUIRED ||
	    c->tls == CONF_TLS_OPPORTUNISTIC || c->tls == CONF_TLS_NONE,
	    "tls %d", (int)c->tls);
	FUZZ_CHECK(c->log_level >= LOG_LEVEL_ERROR &&
	    c->log_level <= LOG_LEVEL_DEBUG, "level %d", (int)c->log_level);
	FUZZ_CHECK(c->syslog == 0 || c->syslog == 1, "syslog %d", c->syslog);
	FUZZ_CHECK(c->require_sync == 0 || c->require_sync == 1,
	    "require_sync %d", c->require_sync);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64];
	struct conf c;
	struct buf err;
	int rc;

	if (fuzz_memfd_fill(&fd, "sendreports.ini", data, size) == -1)
		return 0;
	/* A file holding a password must be 0600: let it pass. */
	(void)fchmod(fd, 0600);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	buf_init(&err, 4096);
	rc = conf_load(&c, path, &err);
	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	if (rc == 0) {
		fuzz_conf_check(&c);
		conf_release(&c);
		conf_release(&c);
	} else {
		FUZZ_CHECK(err.len > 0, "refused without a reason");
		FUZZ_CHECK(strchr(err.data, '\n') == NULL,
		    "reason of more than one line: %s", err.data);
	}
	buf_release(&err);
	return 0;
}

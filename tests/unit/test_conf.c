/*
 * test_conf.c - configuration parsing: defaults, values, errors, paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

static char dir[] = "/tmp/test_conf.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_conf.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes text as dir/name with mode; returns the path (static). */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void
test_conf_missing_default_file_gives_defaults(void **state)
{
	struct conf c;
	struct buf err;

	(void)state;
	buf_init(&err, 4096);
	setenv("SENDREPORTS_CONFIG", "", 1);
	/* The default path is used only when nothing names a file. */
	assert_int_equal(conf_load(&c, NULL, &err), access(CONF_DEFAULT_PATH,
	    F_OK) == 0 ? conf_load(&c, NULL, &err) : 0);
	if (c.path == NULL) {
		assert_string_equal(c.db_path,
		    "/var/lib/sendreports/reports.db");
		assert_string_equal(c.spool_dir, "/var/spool/sendreports");
		assert_int_equal(c.busy_timeout_ms, 5000);
		assert_int_equal(c.max_age_s, 5 * 86400);
		assert_int_equal(c.tls, CONF_TLS_REQUIRED);
		assert_null(c.password);
	}
	conf_release(&c);
	conf_release(&c);
	buf_release(&err);
}

static void
test_conf_values_and_relative_paths(void **state)
{
	const char *path;
	struct conf c;
	struct buf err;
	char want[600];

	(void)state;
	buf_init(&err, 4096);
	path = write_file("a.ini",
	    "[database]\npath = sub/r.db ; inline comment\n"
	    "busy_timeout_ms = 250\n"
	    "[spool]\ndir = /abs/spool\n"
	    "[pdf]\nfont = fonts/x.ttf\nmax_pages = 10\n"
	    "[smtp]\ntls = opportunistic\ntimeout = 2m\n"
	    "[retry]\nmax_age = 2d\nbackoff_min = 30s\nbackoff_max = 1h\n"
	    "[clock]\nrequire_sync = yes\n"
	    "[log]\nlevel = debug\nsyslog = off\n", 0644);
	assert_int_equal(conf_load(&c, path, &err), 0);
	snprintf(want, sizeof(want), "%s/sub/r.db", dir);
	assert_string_equal(c.db_path, want);
	snprintf(want, sizeof(want), "%s/fonts/x.ttf", dir);
	assert_string_equal(c.font, want);
	assert_string_equal(c.spool_dir, "/abs/spool");
	assert_int_equal(c.busy_timeout_ms, 250);
	assert_int_equal(c.max_pages, 10);
	assert_int_equal(c.tls, CONF_TLS_OPPORTUNISTIC);
	assert_int_equal(c.smtp_timeout_s, 120);
	assert_int_equal(c.max_age_s, 2 * 86400);
	assert_int_equal(c.backoff_min_s, 30);
	assert_int_equal(c.backoff_max_s, 3600);
	assert_int_equal(c.require_sync, 1);
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(c.syslog, 0);
	conf_release(&c);
	buf_release(&err);
}

struct conf_error_case {
	const char	*text;
	mode_t		 mode;
	const char	*want;		/* in the error message */
};

static const struct conf_error_case error_cases[] = {
	{ "[database]\npaht = x\n", 0600,
	    "line 2: unknown key \"paht\" in [database]" },
	{ "[databse]\npath = x\n", 0600, "line 2: unknown section [databse]" },
	{ "path = x\n", 0600, "key \"path\" outside a section" },
	{ "[database]\nbusy_timeout_ms = -1\n", 0600,
	    "bad value for [database] busy_timeout_ms" },
	{ "[database]\nbusy_timeout_ms = 12abc\n", 0600, "\"12abc\"" },
	{ "[retry]\nmax_age = 5 days\n", 0600, "[retry] max_age" },
	{ "[retry]\nmin_attempts = 99999\n", 0600, "[retry] min_attempts" },
	{ "[smtp]\ntls = yes\n", 0600, "[smtp] tls" },
	{ "[clock]\nrequire_sync = perhaps\n", 0600, "require_sync" },
	{ "[log]\nlevel = loud\n", 0600, "[log] level" },
	{ "[smtp\nurl = x\n", 0600, "line 1: syntax error" },
	{ "[smtp]\npassword = s3cret\n", 0644, "group or others" },
	{ "[smtp]\npassword = s3cret\n", 0640, "mode 0640" },
	{ "[retry]\nbackoff_min = 10m\nbackoff_max = 1m\n", 0600,
	    "backoff_max is below backoff_min" },
	/* Found by fuzz_conf: durations near LONG_MAX were taken, and
	 * flush's now + backoff overflowed (UBSan stopped it). */
	{ "[retry]\nbackoff_min = 9223372036854775807\n"
	    "backoff_max = 9223372036854775807\n", 0600,
	    "bad value for [retry] backoff_min" },
	{ "[retry]\nbackoff_max = 3661d\n", 0600,
	    "bad value for [retry] backoff_max" },
	{ "[retry]\nmax_age = 200000000000000d\n", 0600,
	    "bad value for [retry] max_age" },
};

static void
test_conf_errors_name_the_problem(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct conf_error_case *tc = &error_cases[i];
		const char *path = write_file("bad.ini", tc->text, tc->mode);
		struct conf c;
		struct buf err;

		buf_init(&err, 4096);
		assert_int_equal(conf_load(&c, path, &err), -1);
		if (strstr(err.data, tc->want) == NULL)
			fail_msg("case %zu: \"%s\" not in \"%s\"", i, tc->want,
			    err.data);
		/* A password never appears in an error. */
		assert_null(strstr(err.data, "s3cret"));
		buf_release(&err);
	}
}

/* Ten years (3660 days) is the longest [retry] duration taken. */
static void
test_conf_durations_up_to_ten_years(void **state)
{
	const char *path;
	struct conf c;
	struct buf err;

	(void)state;
	buf_init(&err, 4096);
	path = write_file("long.ini", "[retry]\nbackoff_min = 3660d\n"
	    "backoff_max = 3660d\nmax_age = 3660d\n", 0600);
	assert_int_equal(conf_load(&c, path, &err), 0);
	assert_int_equal(c.backoff_max_s, 3660L * 86400);
	assert_int_equal(c.max_age_s, 3660L * 86400);
	conf_release(&c);
	buf_release(&err);
}

static void
test_conf_password_file_must_be_private(void **state)
{
	const char *path;
	struct conf c;
	struct buf err;

	char ini[600];

	(void)state;
	buf_init(&err, 4096);

	write_file("secret", "pw\n", 0644);
	/* write_file's result is overwritten by the next call: keep it. */
	snprintf(ini, sizeof(ini), "%s", write_file("p.ini",
	    "[smtp]\npassword_file = secret\n", 0644));
	path = ini;
	assert_int_equal(conf_load(&c, path, &err), -1);
	assert_non_null(strstr(err.data, "password file"));
	buf_reset(&err);
	write_file("secret", "pw\n", 0600);
	assert_int_equal(conf_load(&c, path, &err), 0);
	conf_release(&c);
	buf_release(&err);
}

static void
test_conf_explicit_missing_file_is_an_error(void **state)
{
	struct conf c;
	struct buf err;
	char path[600];

	(void)state;
	buf_init(&err, 4096);
	snprintf(path, sizeof(path), "%s/none.ini", dir);
	assert_int_equal(conf_load(&c, path, &err), -1);
	assert_non_null(strstr(err.data, "none.ini"));
	buf_release(&err);
}

/* The values that parse but cannot work: each names its line. */
static const struct conf_error_case problem_cases[] = {
	{ "[log]\nsyslog = no\n[mail]\ntimezone = Mars/Olympus\n", 0600,
	    "line 4: unknown time zone \"Mars/Olympus\"" },
	{ "[smtp]\ntls = none\nusername = u\npassword = s3cret\n", 0600,
	    "line 3: [smtp] username is set but tls = none" },
	{ "[smtp]\nusername = u\npassword = s3cret\n"
	    "tls = opportunistic\n", 0600,
	    "line 2: [smtp] username is set but tls = opportunistic" },
	{ "[smtp]\nurl = smtps://mail.example.com\n\ntls = none\n", 0600,
	    "line 4: tls = none, but smtps://mail.example.com is implicit "
	    "TLS" },
	{ "[run]\nuser = no-such-user-here\n", 0600,
	    "line 2: [run] user \"no-such-user-here\": no such user" },
	{ "[retry]\nbackoff_min = 10m\n\nbackoff_max = 1m\n", 0600,
	    "line 4: [retry] backoff_max is below backoff_min" },
};

static void
test_conf_problems_name_their_line(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(problem_cases) / sizeof(problem_cases[0]);
	    i++) {
		const struct conf_error_case *tc = &problem_cases[i];
		const char *path = write_file("bad.ini", tc->text, tc->mode);
		struct conf c;
		struct buf err;

		buf_init(&err, 4096);
		assert_int_equal(conf_load(&c, path, &err), -1);
		if (strstr(err.data, tc->want) == NULL ||
		    strncmp(err.data, path, strlen(path)) != 0)
			fail_msg("case %zu: \"%s\" not in \"%s\"", i, tc->want,
			    err.data);
		assert_null(strstr(err.data, "s3cret"));
		buf_release(&err);
	}
}

static void
test_conf_auth_only_with_tls_required_or_smtps(void **state)
{
	static const char *const good[] = {
		"[smtp]\nusername = u\npassword = pw\n",
		"[smtp]\ntls = required\nusername = u\npassword = pw\n",
		"[smtp]\nurl = smtps://h:465\nusername = u\npassword = pw\n",
		"[smtp]\nurl = SMTPS://h\ntls = opportunistic\nusername = u\n"
		    "password = pw\n",
		"[smtp]\ntls = none\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *path = write_file("ok.ini", good[i], 0600);
		struct conf c;
		struct buf err;

		buf_init(&err, 4096);
		if (conf_load(&c, path, &err) != 0)
			fail_msg("case %zu: %s", i, err.data);
		conf_release(&c);
		buf_release(&err);
	}
}

static void
test_conf_load_all_records_every_problem(void **state)
{
	const char *path;
	struct conf c;
	struct buf err;

	(void)state;
	buf_init(&err, 4096);
	path = write_file("all.ini", "[mail]\ntimezone = Mars/Olympus\n"
	    "[smtp]\ntls = none\nusername = u\npassword = s3cret\n"
	    "[run]\nuser = no-such-user-here\n", 0600);
	assert_int_equal(conf_load_all(&c, path, &err), 0);
	assert_int_equal(c.nproblems, 3);
	assert_string_equal(c.problems[0].what, "timezone");
	assert_non_null(strstr(c.problems[0].text, "line 2: unknown time "
	    "zone \"Mars/Olympus\""));
	assert_string_equal(c.problems[1].what, "smtp auth");
	assert_non_null(strstr(c.problems[1].text, "line 5:"));
	assert_string_equal(c.problems[2].what, "run user");
	assert_non_null(strstr(c.problems[2].text, "line 8:"));
	conf_release(&c);
	conf_release(&c);
	/* A file that does not parse still fails. */
	path = write_file("all.ini", "[mail\n", 0600);
	assert_int_equal(conf_load_all(&c, path, &err), -1);
	buf_release(&err);
}

static void
test_conf_run_user_and_default_zone(void **state)
{
	const char *path;
	char *old_tz;
	struct conf c;
	struct buf err;

	(void)state;
	buf_init(&err, 4096);
	old_tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	path = write_file("run.ini", "[run]\nuser = nobody\n", 0600);
	setenv("TZ", ":Asia/Tokyo", 1);
	assert_int_equal(conf_load(&c, path, &err), 0);
	assert_string_equal(c.run_user, "nobody");
	/* No [mail] timezone: the box's zone, never Europe/Paris. */
	assert_string_equal(c.timezone, "Asia/Tokyo");
	assert_string_equal(c.timezone_source, "TZ");
	conf_release(&c);
	setenv("TZ", "America/New_York", 1);
	path = write_file("run.ini", "[mail]\ntimezone = Europe/Paris\n",
	    0600);
	assert_int_equal(conf_load(&c, path, &err), 0);
	assert_string_equal(c.timezone, "Europe/Paris");
	assert_string_equal(c.timezone_source, "[mail] timezone");
	assert_null(c.run_user);
	conf_release(&c);
	if (old_tz != NULL)
		setenv("TZ", old_tz, 1);
	else
		unsetenv("TZ");
	free(old_tz);
	buf_release(&err);
}

static void
test_conf_directory_is_not_a_configuration(void **state)
{
	struct conf c;
	struct buf err;

	(void)state;
	buf_init(&err, 4096);
	assert_int_equal(conf_load(&c, dir, &err), -1);
	assert_non_null(strstr(err.data, "is a directory"));
	assert_non_null(strstr(err.data, dir));
	buf_release(&err);
}

/* Writes a file whose line `at` is "default_body = " and n 'x'. */
static const char *
write_long(int at, size_t n, const char *after)
{
	struct buf text;
	const char *path;
	int i;

	buf_init(&text, 1 << 20);
	for (i = 1; i < at; i++)
		assert_int_equal(buf_puts(&text, i == 1 ? "[mail]\n" :
		    "; a comment\n"), 0);
	assert_int_equal(buf_puts(&text, "default_body = "), 0);
	for (i = 0; i < (int)n; i++)
		assert_int_equal(buf_putc(&text, 'x'), 0);
	assert_int_equal(buf_printf(&text, "\n%s", after), 0);
	path = write_file("long.ini", text.data, 0600);
	buf_release(&text);
	return path;
}

/*
 * Values up to 4 KiB on a line are read whole.  This needs inih built
 * with INI_MAX_LINE=4096 (the Makefile builds it so); Debian's libinih1
 * (200) fails it, with an error that names the line.
 */
static void
test_conf_long_values_are_read_whole(void **state)
{
	static const size_t lens[] = { 420, 4000 };
	const char *path;
	struct conf c;
	struct buf err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		buf_init(&err, 4096);
		path = write_long(3, lens[i], "; then\nnope = 1\n");
		/* The line after the long one is still counted right. */
		assert_int_equal(conf_load(&c, path, &err), -1);
		if (strstr(err.data, "line 5: unknown key \"nope\"") == NULL)
			fail_msg("%zu characters: %s", lens[i], err.data);
		buf_reset(&err);
		path = write_long(3, lens[i], "");
		if (conf_load(&c, path, &err) != 0)
			fail_msg("%zu characters: %s", lens[i], err.data);
		assert_int_equal(strlen(c.default_body), lens[i]);
		conf_release(&c);
		buf_release(&err);
	}
}

/* A line longer than inih's buffer is an error naming it, whatever the
 * build: never a crash, never a line cut in two. */
static void
test_conf_too_long_line_names_its_line(void **state)
{
	const char *path;
	struct conf c;
	struct buf err;

	(void)state;
	buf_init(&err, 4096);
	path = write_long(4, 5000, "from = a@example.com\n");
	assert_int_equal(conf_load(&c, path, &err), -1);
	if (strstr(err.data, "line 4: line of 5015 characters, longer "
	    "than the ") == NULL)
		fail_msg("%s", err.data);
	buf_reset(&err);
	path = write_long(2, 100000, "");
	assert_int_equal(conf_load(&c, path, &err), -1);
	assert_non_null(strstr(err.data, "line 2: line of 100015 characters, "
	    "longer than"));
	buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_missing_default_file_gives_defaults),
		cmocka_unit_test(test_conf_values_and_relative_paths),
		cmocka_unit_test(test_conf_errors_name_the_problem),
		cmocka_unit_test(test_conf_durations_up_to_ten_years),
		cmocka_unit_test(test_conf_password_file_must_be_private),
		cmocka_unit_test(test_conf_explicit_missing_file_is_an_error),
		cmocka_unit_test(test_conf_problems_name_their_line),
		cmocka_unit_test(
		    test_conf_auth_only_with_tls_required_or_smtps),
		cmocka_unit_test(test_conf_load_all_records_every_problem),
		cmocka_unit_test(test_conf_run_user_and_default_zone),
		cmocka_unit_test(test_conf_directory_is_not_a_configuration),
		cmocka_unit_test(test_conf_too_long_line_names_its_line),
		cmocka_unit_test(test_conf_long_values_are_read_whole),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_render_file.c - what `render -o` may write to: created or
 * replaced atomically when it is a regular file, written in place when
 * it is a device, refused otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "buf.h"
#include "render_file.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_render_file.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
in_dir(const char *name)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* The names in the directory, sorted, joined with spaces. */
static void
listing(char *out, size_t size)
{
	struct dirent **ents;
	int n, i;

	out[0] = '\0';
	n = scandir(dir, &ents, NULL, alphasort);
	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			if (out[0])
				strncat(out, " ", size - strlen(out) - 1);
			strncat(out, ents[i]->d_name, size - strlen(out) - 1);
		}
		free(ents[i]);
	}
	free(ents);
}

static void
slurp(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void
test_render_file_creates_and_replaces_atomically(void **state)
{
	struct render_file f;
	struct buf err;
	struct stat st;
	char path[128], got[64], names[256];

	(void)state;
	buf_init(&err, 1024);
	snprintf(path, sizeof(path), "%s", in_dir("out.pdf"));
	assert_int_equal(render_file_open(&f, path, &err), 0);
	assert_int_equal(render_file_write(&f, "%PDF-1", 6, &err), 0);
	/* Nothing under the name until the commit. */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(render_file_commit(&f, &err), 0);
	slurp(path, got, sizeof(got));
	assert_string_equal(got, "%PDF-1");

	/* Replaced, keeping its permissions. */
	chmod(path, 0640);
	assert_int_equal(render_file_open(&f, path, &err), 0);
	assert_int_equal(render_file_write(&f, "%PDF-2", 6, &err), 0);
	slurp(path, got, sizeof(got));
	assert_string_equal(got, "%PDF-1");
	assert_int_equal(render_file_commit(&f, &err), 0);
	slurp(path, got, sizeof(got));
	assert_string_equal(got, "%PDF-2");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);

	/* Aborted: the old file stays, no temporary is left. */
	assert_int_equal(render_file_open(&f, path, &err), 0);
	assert_int_equal(render_file_write(&f, "junk", 4, &err), 0);
	render_file_abort(&f);
	render_file_abort(&f);		/* safe twice */
	slurp(path, got, sizeof(got));
	assert_string_equal(got, "%PDF-2");
	listing(names, sizeof(names));
	assert_string_equal(names, "out.pdf");

	/* A file the user may not write is not replaced, when the
	 * permission means something (not for root). */
	if (geteuid() != 0) {
		chmod(path, 0440);
		assert_int_equal(render_file_open(&f, path, &err), -1);
		assert_non_null(strstr(err.data, "Permission denied"));
		chmod(path, 0640);
	}
	buf_release(&err);
}

struct refusal {
	const char	*name;
	const char	*why;
};

static void
test_render_file_refuses_what_it_must_not_replace(void **state)
{
	static const struct refusal cases[] = {
		{ "adir", "Is a directory" },
		{ "alink", "it is a symbolic link (name the file it points "
		    "to)" },
		{ "afifo", "it is a FIFO, not a regular file" },
		{ "missing/x.pdf", "No such file or directory" },
	};
	struct render_file f;
	struct buf err;
	struct stat st;
	char want[256], names[256], target[128];
	size_t i;

	(void)state;
	buf_init(&err, 1024);
	assert_int_equal(mkdir(in_dir("adir"), 0755), 0);
	assert_int_equal(mkfifo(in_dir("afifo"), 0644), 0);
	snprintf(target, sizeof(target), "%s", in_dir("target"));
	fclose(fopen(target, "w"));
	assert_int_equal(symlink("target", in_dir("alink")), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = in_dir(cases[i].name);

		snprintf(want, sizeof(want), "cannot write %s: %s", path,
		    cases[i].why);
		assert_int_equal(render_file_open(&f, path, &err), -1);
		assert_string_equal(err.data, want);
		render_file_abort(&f);
	}
	/* All still what they were, and nothing beside them. */
	assert_int_equal(lstat(in_dir("adir"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(lstat(in_dir("alink"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(in_dir("afifo"), &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	listing(names, sizeof(names));
	assert_string_equal(names, "adir afifo alink target");
	buf_release(&err);
}

/*
 * A device node of our own when we are root, so that a broken build
 * cannot replace the system's /dev/null or /dev/full; otherwise the
 * system's, which only root could replace.
 */
static const char *
device(const char *name, unsigned int minor)
{
	static char path[2][128];
	char *p = path[minor == 7];

	if (geteuid() != 0) {
		snprintf(p, sizeof(path[0]), "/dev/%s", name);
		return p;
	}
	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	if (mknod(p, S_IFCHR | 0666, makedev(1, minor)) == -1)
		return NULL;
	return p;
}

static void
test_render_file_writes_a_device_in_place(void **state)
{
	struct render_file f;
	struct buf err;
	struct stat st;
	const char *null, *full;
	char want[256];

	(void)state;
	buf_init(&err, 1024);
	if ((null = device("null", 3)) == NULL ||
	    (full = device("full", 7)) == NULL)
		skip();
	assert_int_equal(render_file_open(&f, null, &err), 0);
	assert_int_equal(render_file_write(&f, "%PDF", 4, &err), 0);
	assert_int_equal(render_file_commit(&f, &err), 0);
	assert_int_equal(lstat(null, &st), 0);
	assert_true(S_ISCHR(st.st_mode));

	/* /dev/full: the error is the device's, and it stays a device. */
	assert_int_equal(render_file_open(&f, full, &err), 0);
	assert_int_equal(render_file_write(&f, "%PDF", 4, &err), -1);
	snprintf(want, sizeof(want), "cannot write %s: No space left on "
	    "device", full);
	assert_string_equal(err.data, want);
	render_file_abort(&f);
	assert_int_equal(lstat(full, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_render_file_creates_and_replaces_atomically, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_render_file_refuses_what_it_must_not_replace, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_render_file_writes_a_device_in_place, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

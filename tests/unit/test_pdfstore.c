/*
 * test_pdfstore.c - stored PDF path resolution: what may be attached.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdfstore.h"

static char root[64];
static char pdfdir[128];

static void
put(const char *rel, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void
link_at(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int
setup(void **state)
{
	char path[512];

	(void)state;
	strcpy(root, "/tmp/test_pdfstore.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(pdfdir, sizeof(pdfdir), "%s/pdf", root);
	snprintf(path, sizeof(path), "%s/pdf/sub", root);
	if (mkdir(pdfdir, 0755) || mkdir(path, 0755))
		return -1;
	put("pdf/a.pdf", "%PDF-1.4 a\n");
	put("pdf/sub/b.pdf", "%PDF-1.7 b\n");
	put("pdf/text.pdf", "hello, not a pdf\n");
	put("pdf/short.pdf", "%PD");
	put("pdf/big.pdf", "%PDF-1.4 0123456789012345678901234567890123456789");
	put("secret.pdf", "%PDF-1.4 outside\n");
	link_at("a.pdf", "pdf/alias.pdf");
	link_at("../secret.pdf", "pdf/escape.pdf");
	link_at("..", "pdf/up");
	link_at("sub", "pdf/subdir");
	link_at("loop.pdf", "pdf/loop.pdf");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

struct path_case {
	const char		*pdf_path;	/* "@" stands for the root */
	enum pdfstore_status	 want;
	const char		*why;		/* in the reason, or NULL */
};

static const struct path_case cases[] = {
	{ "a.pdf", PDFSTORE_OK, NULL },
	{ "sub/b.pdf", PDFSTORE_OK, NULL },
	{ "./sub//b.pdf", PDFSTORE_OK, NULL },
	{ "alias.pdf", PDFSTORE_OK, NULL },
	{ "subdir/b.pdf", PDFSTORE_OK, NULL },
	{ "@/pdf/a.pdf", PDFSTORE_OK, NULL },
	{ "missing.pdf", PDFSTORE_MISSING, "missing" },
	{ "sub/missing/x.pdf", PDFSTORE_MISSING, "missing" },
	{ "", PDFSTORE_MISSING, "empty" },
	{ "../secret.pdf", PDFSTORE_REFUSED, "\"..\"" },
	{ "sub/../a.pdf", PDFSTORE_REFUSED, "\"..\"" },
	{ "sub/..", PDFSTORE_REFUSED, "\"..\"" },
	{ "@/secret.pdf", PDFSTORE_REFUSED, "outside" },
	{ "/etc/passwd", PDFSTORE_REFUSED, "outside" },
	{ "escape.pdf", PDFSTORE_REFUSED, "outside" },
	{ "up/secret.pdf", PDFSTORE_REFUSED, "outside" },
	{ "loop.pdf", PDFSTORE_REFUSED, NULL },
	{ ".", PDFSTORE_REFUSED, "outside" },	/* the directory itself */
	{ "sub", PDFSTORE_REFUSED, "not a regular file" },
	{ "text.pdf", PDFSTORE_REFUSED, "not a PDF" },
	{ "short.pdf", PDFSTORE_REFUSED, "not a PDF" },
	{ "big.pdf", PDFSTORE_REFUSED, "over the limit" },
	{ "a.pdf\nBcc: x", PDFSTORE_REFUSED, "line break" },
	{ "..foo.pdf", PDFSTORE_MISSING, NULL },	/* a name, not ".." */
};

/* Each case on a store of its own (shared == NULL), or all on one, as
 * a run of send looks them up: the directory resolved once. */
static void
pdfstore_cases(struct pdfstore *shared)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct path_case *tc = &cases[i];
		char path[512];
		struct pdfstore own, *store = shared ? shared : &own;
		struct buf err;
		enum pdfstore_status s;
		struct stat st;
		int fd = -2;

		if (tc->pdf_path[0] == '@')
			snprintf(path, sizeof(path), "%s%s", root,
			    tc->pdf_path + 1);
		else
			snprintf(path, sizeof(path), "%s", tc->pdf_path);
		buf_init(&err, 4096);
		if (shared == NULL)
			pdfstore_init(store, pdfdir);
		s = pdfstore_open(store, path, 30, &fd, &st, &err);
		if (shared == NULL)
			pdfstore_release(store);
		if (s != tc->want)
			fail_msg("case %zu \"%s\": status %d, want %d (%s)", i,
			    tc->pdf_path, s, tc->want, err.data);
		if (s == PDFSTORE_OK) {
			assert_true(fd >= 0);
			assert_true(st.st_size > 0);
			close(fd);
		} else
			assert_int_equal(fd, -1);
		if (tc->why && strstr(err.data, tc->why) == NULL)
			fail_msg("case %zu: \"%s\" not in \"%s\"", i, tc->why,
			    err.data);
		buf_release(&err);
	}
}

static void
test_pdfstore_open_resolves_only_inside_the_directory(void **state)
{
	struct pdfstore store;

	(void)state;
	pdfstore_cases(NULL);
	pdfstore_init(&store, pdfdir);
	pdfstore_cases(&store);
	assert_non_null(store.root);
	pdfstore_release(&store);
	assert_null(store.root);
}

static void
test_pdfstore_put_copies_durably_and_refuses_non_pdf(void **state)
{
	char src[512], dst[512], buf[64];
	struct buf err;
	ssize_t n;
	int fd;

	(void)state;
	buf_init(&err, 4096);
	snprintf(src, sizeof(src), "%s/pdf/a.pdf", root);
	assert_int_equal(pdfstore_put(pdfdir, src, "copy.pdf", &err), 0);
	snprintf(dst, sizeof(dst), "%s/copy.pdf", pdfdir);
	fd = open(dst, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "%PDF-1.4 a\n", 11);

	snprintf(src, sizeof(src), "%s/pdf/text.pdf", root);
	assert_int_equal(pdfstore_put(pdfdir, src, "bad.pdf", &err), -1);
	assert_non_null(strstr(err.data, "not a PDF"));
	snprintf(dst, sizeof(dst), "%s/bad.pdf", pdfdir);
	assert_int_equal(access(dst, F_OK), -1);
	buf_reset(&err);
	assert_int_equal(pdfstore_put(pdfdir, src, "x/y.pdf", &err), -1);
	buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_pdfstore_open_resolves_only_inside_the_directory),
		cmocka_unit_test(
		    test_pdfstore_put_copies_durably_and_refuses_non_pdf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

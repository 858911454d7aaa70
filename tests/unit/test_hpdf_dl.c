/*
 * test_hpdf_dl.c - libharu loaded on first use, when it cannot be: every
 * function says so as libharu itself would fail, and the renderer's
 * handler makes it a RENDER_IOERR naming the library and why.  The
 * module is compiled here with a library name no box has; the
 * integration tests (test_libraries.py) use the real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#define HPDF_DL_SONAME	"libsendreports-test-no-hpdf.so"
#ifndef SENDREPORTS_HPDF_DLOPEN
#define SENDREPORTS_HPDF_DLOPEN 1
#endif
#include "../../src/dl_lib.c"
#include "../../src/hpdf_dl.c"

#include "buf.h"
#include "render_page.h"

struct told {
	int		 calls;
	HPDF_STATUS	 error;
};

static void
test_hpdf_dl_handler(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *ctx)
{
	struct told *t = ctx;

	(void)detail_no;
	t->calls++;
	t->error = error_no;
}

static void
test_hpdf_dl_missing_library_fails_like_libharu(void **state)
{
	struct told t = { 0, 0 };
	char why[256];

	(void)state;
	assert_int_equal(hpdf_dl_load(why, sizeof(why)), -1);
	assert_non_null(strstr(why, "libsendreports-test-no-hpdf.so"));
	/* Asked again, the same answer, without trying again. */
	assert_int_equal(hpdf_dl_load(why, sizeof(why)), -1);
	assert_non_null(strstr(why, "libsendreports-test-no-hpdf.so"));
	assert_null(HPDF_New(test_hpdf_dl_handler, &t));
	assert_int_equal(t.calls, 1);
	assert_int_equal(t.error, HPDF_DL_UNLOADED);
	assert_null(HPDF_New(NULL, NULL));
	assert_null(HPDF_GetVersion());
	assert_null(HPDF_AddPage(NULL));
	assert_null(HPDF_GetFont(NULL, "Helvetica", NULL));
	assert_int_equal(HPDF_Page_Fill(NULL), HPDF_DL_UNLOADED);
	assert_int_equal(HPDF_SaveToStream(NULL), HPDF_DL_UNLOADED);
	assert_int_equal(HPDF_Font_TextWidth(NULL, NULL, 0).width, 0);
	assert_int_equal(HPDF_MemStream_GetBufCount(NULL), 0);
	HPDF_MemStream_FreeData(NULL);
	HPDF_Free(NULL);
}

/* What render_report() gets from HPDF_New(): a deferral, with why. */
static void
test_hpdf_dl_missing_library_is_named_by_the_renderer(void **state)
{
	struct render r;
	struct buf err;

	(void)state;
	memset(&r, 0, sizeof(r));
	buf_init(&err, 1024);
	r.err = &err;
	assert_null(HPDF_New(render_hpdf_error, &r));
	assert_int_equal(r.status, RENDER_IOERR);
	assert_non_null(strstr(err.data, "fallback PDF: cannot load libharu: "
	    "libsendreports-test-no-hpdf.so"));
	/* What render_report() says next does not replace it. */
	assert_int_equal(render_fail(&r, RENDER_NOMEM, "out of memory"), -1);
	assert_int_equal(r.status, RENDER_IOERR);
	assert_null(strstr(err.data, "out of memory"));
	buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_hpdf_dl_missing_library_fails_like_libharu),
		cmocka_unit_test(
		    test_hpdf_dl_missing_library_is_named_by_the_renderer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

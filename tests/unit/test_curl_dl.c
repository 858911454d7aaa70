/*
 * test_curl_dl.c - libcurl loaded on first use, when it cannot be: every
 * function says so as libcurl itself would fail, and the first send names
 * the library and why.  The module is compiled here with a library name
 * no box has; the integration tests use the real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#define CURL_DL_SONAME	"libsendreports-test-no-curl.so.4"
#ifndef SENDREPORTS_CURL_DLOPEN
#define SENDREPORTS_CURL_DLOPEN 1
#endif
#include "../../src/dl_lib.c"
#include "../../src/curl_dl.c"

#include "buf.h"
#include "smtp.h"

static void
test_curl_dl_missing_library_fails_like_curl(void **state)
{
	char why[256];
	CURL *h;

	(void)state;
	assert_int_equal(curl_dl_load(why, sizeof(why)), -1);
	assert_non_null(strstr(why, "libsendreports-test-no-curl.so.4"));
	/* Asked again, the same answer, without trying again. */
	assert_int_equal(curl_dl_load(why, sizeof(why)), -1);
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT),
	    CURLE_FAILED_INIT);
	assert_null(curl_version_info(CURLVERSION_NOW));
	assert_null((h = curl_easy_init()));
	assert_int_equal(curl_easy_setopt(h, CURLOPT_VERBOSE, 1L),
	    CURLE_FAILED_INIT);
	assert_int_equal(curl_easy_perform(h), CURLE_FAILED_INIT);
	assert_null(curl_url());
	assert_null(curl_slist_append(NULL, "x"));
	curl_easy_cleanup(h);
	curl_slist_free_all(NULL);
	curl_global_cleanup();
}

static void
test_curl_dl_missing_library_is_named_by_smtp(void **state)
{
	struct smtp_options o;
	struct buf err;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.url = "smtp://127.0.0.1:25";
	o.tls = SMTP_TLS_NONE;
	buf_init(&err, 1024);
	assert_null(smtp_session_new(&o, &err));
	assert_non_null(strstr(err.data, "cannot load libcurl: "
	    "libsendreports-test-no-curl.so.4"));
	buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_dl_missing_library_fails_like_curl),
		cmocka_unit_test(test_curl_dl_missing_library_is_named_by_smtp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

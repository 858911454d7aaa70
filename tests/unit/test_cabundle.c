/*
 * test_cabundle.c - the CA bundle compiled into this build unpacks to the
 * certificates it was made from, and a cap too small is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "cabundle.h"

#define BEGIN	"-----BEGIN CERTIFICATE-----\n"
#define END	"-----END CERTIFICATE-----\n"

static void
test_cabundle_unpacks_every_certificate(void **state)
{
	struct buf pem, err;
	const char *p;
	unsigned begins = 0, ends = 0;

	(void)state;
	buf_init(&pem, cabundle_pem_len + 1);
	buf_init(&err, 256);
	if (cabundle_gz_len == 0) {
		/* A build without one says so. */
		assert_int_equal(cabundle_pem(&pem, &err), -1);
		assert_non_null(strstr(err.data, "no CA bundle"));
		assert_int_equal(pem.len, 0);
		goto out;
	}
	assert_int_equal(cabundle_pem(&pem, &err), 0);
	assert_int_equal(pem.len, cabundle_pem_len);
	assert_int_equal(strlen(pem.data), pem.len);
	assert_memory_equal(pem.data, BEGIN, strlen(BEGIN));
	assert_memory_equal(pem.data + pem.len - strlen(END), END,
	    strlen(END));
	for (p = pem.data; (p = strstr(p, BEGIN)) != NULL; p++)
		begins++;
	for (p = pem.data; (p = strstr(p, END)) != NULL; p++)
		ends++;
	assert_int_equal(begins, cabundle_count);
	assert_int_equal(ends, cabundle_count);
	/* A debian bundle holds well over a hundred roots. */
	assert_true(cabundle_count > 50);
out:
	buf_release(&pem);
	buf_release(&err);
}

static void
test_cabundle_too_small_a_cap_is_refused(void **state)
{
	struct buf pem, err;

	(void)state;
	buf_init(&pem, cabundle_pem_len / 2);
	buf_init(&err, 256);
	assert_int_equal(cabundle_pem(&pem, &err), -1);
	assert_int_equal(pem.len, 0);
	assert_true(err.len > 0);
	buf_release(&pem);
	buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cabundle_unpacks_every_certificate),
		cmocka_unit_test(test_cabundle_too_small_a_cap_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

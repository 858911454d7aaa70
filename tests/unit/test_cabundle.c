/*
 * test_cabundle.c - the CA bundle compiled into this build unpacks to the
 * certificates it was made from, and a cap too small is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cabundle.h"

/* The bundle this build was made from (BUILD/gen/ca_bundle_name, beside
 * BUILD/tests/ where this test runs from). */
static char source_name[4096];

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

/*
 * The PEM made again from the DER the binary carries is, byte for byte,
 * the certificates of the bundle it was made from (their BEGIN...END
 * lines, as ca2c.sh takes them).
 */
static void
test_cabundle_is_the_source_bundle(void **state)
{
	struct buf pem, err, want;
	char line[256];
	FILE *f;
	int in = 0;

	(void)state;
	if (cabundle_gz_len == 0 || source_name[0] == '\0' ||
	    (f = fopen(source_name, "r")) == NULL)
		skip();
	buf_init(&want, cabundle_pem_len + 1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strcmp(line, "-----BEGIN CERTIFICATE-----\n") == 0)
			in = 1;
		if (in)
			assert_int_equal(buf_puts(&want, line), 0);
		if (strcmp(line, "-----END CERTIFICATE-----\n") == 0)
			in = 0;
	}
	fclose(f);
	buf_init(&pem, cabundle_pem_len + 1);
	buf_init(&err, 256);
	assert_int_equal(cabundle_pem(&pem, &err), 0);
	assert_int_equal(pem.len, want.len);
	assert_memory_equal(pem.data, want.data, want.len);
	buf_release(&pem);
	buf_release(&err);
	buf_release(&want);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cabundle_unpacks_every_certificate),
		cmocka_unit_test(test_cabundle_is_the_source_bundle),
		cmocka_unit_test(test_cabundle_too_small_a_cap_is_refused),
	};

	char path[4096], *slash;
	FILE *f;

	/* argv[0] is BUILD/tests/test_cabundle. */
	snprintf(path, sizeof(path), "%s", argc > 0 ? argv[0] : "");
	if ((slash = strrchr(path, '/')) != NULL) {
		*slash = '\0';
		if ((slash = strrchr(path, '/')) != NULL) {
			*slash = '\0';
			strncat(path, "/gen/ca_bundle_name", sizeof(path) -
			    strlen(path) - 1);
			if ((f = fopen(path, "r")) != NULL) {
				if (fgets(source_name, sizeof(source_name),
				    f) != NULL)
					source_name[strcspn(source_name,
					    "\n")] = '\0';
				fclose(f);
			}
		}
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

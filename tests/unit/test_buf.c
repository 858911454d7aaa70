/*
 * test_buf.c - the capped buffer keeps its invariants.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* data never NULL, NUL-terminated, len within the cap (git's u-strbuf). */
static void
assert_buf_sane(const struct buf *b)
{
	assert_non_null(b->data);
	assert_int_equal(b->data[b->len], '\0');
	assert_true(b->len <= b->max);
	assert_true(b->alloc == 0 || b->len < b->alloc);
}

static void
test_buf_grows_and_stays_sane(void **state)
{
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, 100000);
	assert_buf_sane(&b);
	assert_string_equal(b.data, "");
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%03d,", i % 1000), 0);
	assert_int_equal(b.len, 4000);
	assert_buf_sane(&b);
	assert_memory_equal(b.data + 3996, "999,", 4);
	buf_reset(&b);
	assert_buf_sane(&b);
	assert_int_equal(b.len, 0);
	buf_release(&b);
	buf_release(&b);
	assert_buf_sane(&b);
}

static void
test_buf_cap_refuses_and_leaves_unchanged(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), 0);
	errno = 0;
	assert_int_equal(buf_putc(&b, 'x'), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(buf_printf(&b, "%d", 1), -1);
	assert_string_equal(b.data, "12345678");
	assert_buf_sane(&b);
	buf_release(&b);
}

static void
test_buf_json_str_escapes(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "l1\nl2\r\t", "\"l1\\nl2\\r\\t\"" },
		{ "\x01\x1f", "\"\\u0001\\u001f\"" },
		{ "Zoë €", "\"Zoë €\"" },
	};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, 1024);
		assert_int_equal(buf_json_str(&b, cases[i].in), 0);
		assert_string_equal(b.data, cases[i].want);
		buf_release(&b);
	}
	/* Too long for the cap: nothing half-written stays. */
	buf_init(&b, 6);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_json_str(&b, "cdef"), -1);
	assert_string_equal(b.data, "ab");
	buf_release(&b);
}

static void
test_buf_detach_hands_over(void **state)
{
	struct buf b;
	size_t len;
	char *p;

	(void)state;
	buf_init(&b, 64);
	p = buf_detach(&b, &len);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);
	assert_int_equal(buf_puts(&b, "owned"), 0);
	p = buf_detach(&b, &len);
	assert_string_equal(p, "owned");
	assert_int_equal(len, 5);
	assert_buf_sane(&b);
	assert_int_equal(b.len, 0);
	free(p);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_stays_sane),
		cmocka_unit_test(test_buf_cap_refuses_and_leaves_unchanged),
		cmocka_unit_test(test_buf_json_str_escapes),
		cmocka_unit_test(test_buf_detach_hands_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

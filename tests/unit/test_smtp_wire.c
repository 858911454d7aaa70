/*
 * test_smtp_wire.c - dot-stuffing of a body handed over in pieces: the
 * same bytes out whatever the cut, against a whole-text reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "smtp_wire.h"

/* The reference: RFC 5321 4.5.2 on the whole text, byte by byte. */
static void
stuff_whole(const char *in, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (in[i] == '.' && (i == 0 || (i >= 2 && in[i - 1] == '\n' &&
		    in[i - 2] == '\r')))
			assert_int_equal(buf_putc(out, '.'), 0);
		assert_int_equal(buf_putc(out, in[i]), 0);
	}
	if (n >= 2 && in[n - 2] == '\r' && in[n - 1] == '\n')
		assert_int_equal(buf_puts(out, ".\r\n"), 0);
	else if (n == 0)
		assert_int_equal(buf_puts(out, ".\r\n"), 0);
	else
		assert_int_equal(buf_puts(out, "\r\n.\r\n"), 0);
}

/* Stuffs in pieces of size step (the last one shorter). */
static void
stuff_pieces(const char *in, size_t n, size_t step, struct buf *out)
{
	struct smtp_stuffing st = { 1, 0 };
	size_t off, k;

	for (off = 0; off < n; off += k) {
		k = n - off < step ? n - off : step;
		assert_int_equal(smtp_stuff(&st, in + off, k, out), 0);
	}
	assert_int_equal(smtp_stuff_end(&st, out), 0);
}

static void
check_every_cut(const char *in, size_t n)
{
	struct buf want, got;
	size_t step;

	buf_init(&want, 1 << 20);
	buf_init(&got, 1 << 20);
	stuff_whole(in, n, &want);
	for (step = 1; step <= n + 1; step++) {
		buf_reset(&got);
		stuff_pieces(in, n, step, &got);
		assert_int_equal(got.len, want.len);
		assert_memory_equal(got.data, want.data, want.len);
	}
	buf_release(&want);
	buf_release(&got);
}

static void
test_dots_at_line_starts_are_doubled(void **state)
{
	static const char text[] =
	    ".first\r\nplain\r\n.\r\n..two\r\nmid.dot\r\n\r\n.after blank\r\n";
	struct buf out;

	(void)state;
	buf_init(&out, 4096);
	stuff_pieces(text, sizeof(text) - 1, 1000, &out);
	assert_string_equal(out.data,
	    "..first\r\nplain\r\n..\r\n...two\r\nmid.dot\r\n\r\n"
	    "..after blank\r\n.\r\n");
	buf_release(&out);
	check_every_cut(text, sizeof(text) - 1);
}

static void
test_only_crlf_starts_a_line(void **state)
{
	/* A bare LF or CR does not end a line on the wire. */
	static const char text[] = "a\n.b\r.c\r\n.d\r\r\n.e\n\r.f";

	(void)state;
	check_every_cut(text, sizeof(text) - 1);
}

static void
test_the_end_gets_its_crlf(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 4096);
	stuff_pieces("no end of line", 14, 5, &out);
	assert_string_equal(out.data, "no end of line\r\n.\r\n");
	buf_reset(&out);
	stuff_pieces("ends with CR\r", 13, 4, &out);
	assert_string_equal(out.data, "ends with CR\r\r\n.\r\n");
	buf_reset(&out);
	stuff_pieces("", 0, 4, &out);
	assert_string_equal(out.data, ".\r\n");
	buf_release(&out);
	check_every_cut("x\r\n", 3);
	check_every_cut(".", 1);
}

static void
test_random_texts_match_the_reference(void **state)
{
	static const char alphabet[] = "..\r\n\r\nab";
	char text[300];
	unsigned seed = 12345;
	size_t i, round;

	(void)state;
	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(text); i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = alphabet[(seed >> 16) % (sizeof(alphabet) -
			    1)];
		}
		check_every_cut(text, 20 + round % 280);
	}
}

static void
test_a_full_buffer_is_an_error(void **state)
{
	struct smtp_stuffing st = { 1, 0 };
	struct buf out;

	(void)state;
	buf_init(&out, 8);
	assert_int_equal(smtp_stuff(&st, ".abcdefgh\r\n", 11, &out), -1);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dots_at_line_starts_are_doubled),
		cmocka_unit_test(test_only_crlf_starts_a_line),
		cmocka_unit_test(test_the_end_gets_its_crlf),
		cmocka_unit_test(test_random_texts_match_the_reference),
		cmocka_unit_test(test_a_full_buffer_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

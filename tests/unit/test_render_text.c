/*
 * test_render_text.c - UTF-8 to WinAnsi, and fitting text to a width.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "render_text.h"

static void
expect_winansi(const char *utf8, const char *cp1252)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(render_winansi(utf8, RENDER_TEXT_MAX, &b), 0);
	assert_int_equal(b.len, strlen(cp1252));
	assert_memory_equal(b.data, cp1252, b.len);
	buf_release(&b);
}

static void
test_french_and_western_text_is_exact(void **state)
{
	(void)state;
	expect_winansi("\xc3\xa9\xc3\xa8\xc3\xa0\xc3\xa7", "\xe9\xe8\xe0\xe7");
	/* oe, euro, guillemets, em dash, curly quotes, ellipsis */
	expect_winansi("\xc5\x93\xe2\x82\xac\xc2\xab\xc2\xbb\xe2\x80\x94"
	    "\xe2\x80\x99\xe2\x80\xa6", "\x9c\x80\xab\xbb\x97\x92\x85");
	expect_winansi("\xc5\x92\xc5\xb8\xc3\x9f", "\x8c\x9f\xdf");
	expect_winansi("plain ASCII", "plain ASCII");
}

static void
test_what_winansi_lacks_is_visible(void **state)
{
	(void)state;
	/* Greek, CJK: one mark per character, not per byte. */
	expect_winansi("\xce\xa9 \xe6\x9d\xb1", "? ?");
	/* Not UTF-8 at all: one mark per bad byte. */
	expect_winansi("a\xff\xfe" "b", "a??b");
	/* Controls would draw nothing: spaces. */
	expect_winansi("a\tb\nc", "a b c");
}

/* Encodes s with at most max bytes out; checks the result and the cut. */
static void
expect_cut(int utf8, const char *s, size_t max, const char *want, int cut)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(utf8 ? render_utf8(s, max, &b) :
	    render_winansi(s, max, &b), cut);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	buf_release(&b);
}

static void
test_render_text_cut_at_max_bytes_never_inside_a_character(void **state)
{
	(void)state;
	/* WinAnsi: one byte a character, whatever its UTF-8 length. */
	expect_cut(0, "\xc3\xa9t\xc3\xa9", 3, "\xe9t\xe9", 0);
	expect_cut(0, "\xc3\xa9t\xc3\xa9!", 3, "\xe9t\xe9", 1);
	expect_cut(0, "abc", 0, "", 1);
	expect_cut(0, "", 0, "", 0);
	/* UTF-8: "a\xc3\xa9" is 3 bytes; the euro (3 bytes) does not fit
	 * in 4 or 5, and is never halved. */
	expect_cut(1, "a\xc3\xa9\xe2\x82\xac", 6, "a\xc3\xa9\xe2\x82\xac", 0);
	expect_cut(1, "a\xc3\xa9\xe2\x82\xac", 5, "a\xc3\xa9", 1);
	expect_cut(1, "a\xc3\xa9\xe2\x82\xac", 4, "a\xc3\xa9", 1);
	expect_cut(1, "a\xc3\xa9\xe2\x82\xac", 2, "a", 1);
}

static void
test_render_text_utf8_made_safe_for_the_font(void **state)
{
	(void)state;
	/* Bad bytes are marks, controls spaces, the rest unchanged. */
	expect_cut(1, "a\xff\xc3" "b\tc\n\xce\xa9", 64,
	    "a??b c \xce\xa9", 0);
	expect_cut(1, "\xed\xa0\x80", 64, "???", 0);	/* a surrogate */
}

static void
test_render_text_far_past_libharu_limit_cut(void **state)
{
	static char big[300000];
	struct buf b;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	buf_init(&b, 1 << 20);
	assert_int_equal(render_winansi(big, RENDER_TEXT_MAX, &b), 1);
	assert_int_equal(b.len, RENDER_TEXT_MAX);
	buf_reset(&b);
	assert_int_equal(render_utf8(big, RENDER_TEXT_MAX, &b), 1);
	assert_int_equal(b.len, RENDER_TEXT_MAX);
	buf_release(&b);
	assert_true(RENDER_TEXT_MAX + 3 < 65535);
}

/* One point per byte: easy to reason about. */
static double
width_bytes(void *ctx, const char *text, size_t n)
{
	(void)ctx;
	(void)text;
	return (double)n;
}

static void
test_fit_cuts_with_an_ellipsis(void **state)
{
	int cut;

	(void)state;
	assert_int_equal(render_fit("hello", 5, 0, 5, 1, width_bytes, NULL,
	    &cut), 5);
	assert_false(cut);
	assert_int_equal(render_fit("hello world", 11, 0, 7, 1, width_bytes,
	    NULL, &cut), 5);	/* "hello" + ellipsis, the space dropped */
	assert_true(cut);
	assert_int_equal(render_fit("hello", 5, 0, 1, 1, width_bytes, NULL,
	    &cut), 0);
	assert_true(cut);
}

static void
test_fit_never_cuts_a_character(void **state)
{
	/* "aé€b": 1 + 2 + 3 + 1 bytes */
	const char *s = "a\xc3\xa9\xe2\x82\xac" "b";
	size_t n;
	int cut;

	(void)state;
	n = render_fit(s, strlen(s), 1, 5, 1, width_bytes, NULL, &cut);
	assert_true(cut);
	assert_int_equal(n, 3);		/* "aé", not half of the euro */
	n = render_fit(s, strlen(s), 1, 3, 1, width_bytes, NULL, &cut);
	assert_int_equal(n, 1);
}

/* One point per character: a UTF-8 continuation byte adds nothing. */
static double
width_chars(void *ctx, const char *text, size_t n)
{
	double w = 0;
	size_t i;

	(void)ctx;
	for (i = 0; i < n; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80)
			w++;
	return w;
}

static const struct wrap_case {
	const char	*text;
	int		 utf8;
	double		 max_w;
	size_t		 max_lines;
	const char	*want;		/* the lines, joined with '|' */
	int		 ellipsis;
} wrap_cases[] = {
	/* Empty, or nothing to show. */
	{ "", 0, 10, 5, "", 0 },
	{ "   ", 0, 10, 5, "", 0 },
	/* Fits: one line, trailing spaces dropped, leading kept. */
	{ "abc", 0, 5, 5, "abc", 0 },
	{ "abc  ", 0, 3, 5, "abc", 0 },
	{ "  abc", 0, 10, 5, "  abc", 0 },
	/* Words: break after the last word that fits. */
	{ "aaa bbb ccc", 0, 7, 5, "aaa bbb|ccc", 0 },
	{ "aaa bbb ccc", 0, 3, 5, "aaa|bbb|ccc", 0 },
	{ "aaa bbb ccc", 0, 8, 5, "aaa bbb|ccc", 0 },
	{ "a   b", 0, 1, 5, "a|b", 0 },
	{ "aaa    bbb", 0, 5, 5, "aaa|bbb", 0 },
	/* A word wider than the line: broken between characters. */
	{ "abcdefgh", 0, 3, 5, "abc|def|gh", 0 },
	{ "ab abcdefgh", 0, 4, 5, "ab|abcd|efgh", 0 },
	{ "x", 0, 0, 5, "x", 0 },		/* at least a character */
	/* UTF-8: a character is never split. */
	{ "\xc3\xa9\xc3\xa9\xc3\xa9", 1, 2, 5,
	    "\xc3\xa9\xc3\xa9|\xc3\xa9", 0 },
	{ "\xe2\x82\xac\xe2\x82\xac \xf0\x9f\x98\x80", 1, 1, 5,
	    "\xe2\x82\xac|\xe2\x82\xac|\xf0\x9f\x98\x80", 0 },
	{ "Th\xc3\xa9 \xc3\xa0 la menthe et aux \xc3\xa9pices douces", 1,
	    12, 5, "Th\xc3\xa9 \xc3\xa0 la|menthe et|aux \xc3\xa9pices|"
	    "douces", 0 },
	/* At most max_lines: the last holds what fits, and the ellipsis
	 * (one point wide here). */
	{ "aaa bbb ccc ddd", 0, 7, 2, "aaa bbb|ccc ddd", 0 },
	{ "aaa bbb ccc ddd eee", 0, 7, 2, "aaa bbb|ccc dd", 1 },
	{ "aaa bbb ccc", 0, 3, 1, "aa", 1 },
	{ "aaa bbb", 0, 4, 1, "aaa", 1 },	/* "aaa " less its space */
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 1, 2, 1, "\xc3\xa9", 1 },
};

static void
test_wrap_breaks_at_words_then_characters(void **state)
{
	struct render_line lines[8];
	struct buf got;
	size_t i, k, n;
	int ell;

	(void)state;
	buf_init(&got, 4096);
	for (i = 0; i < sizeof(wrap_cases) / sizeof(wrap_cases[0]); i++) {
		const struct wrap_case *c = &wrap_cases[i];

		n = render_wrap(c->text, strlen(c->text), c->utf8, c->max_w, 1,
		    width_chars, NULL, lines, c->max_lines, &ell);
		assert_true(n <= c->max_lines);
		buf_reset(&got);
		for (k = 0; k < n; k++) {
			if (k)
				buf_putc(&got, '|');
			buf_append(&got, c->text + lines[k].off, lines[k].len);
		}
		if (strcmp(got.data, c->want) != 0 || ell != c->ellipsis)
			fail_msg("case %zu \"%s\": got \"%s\" (ellipsis %d)",
			    i, c->text, got.data, ell);
	}
	buf_release(&got);
}

static void
test_wrap_of_a_long_text_is_bounded(void **state)
{
	static char big[RENDER_TEXT_MAX + 1];
	struct render_line lines[40];
	size_t n, i;
	int ell;

	(void)state;
	for (i = 0; i < RENDER_TEXT_MAX; i++)
		big[i] = i % 7 == 6 ? ' ' : 'a' + i % 7;
	n = render_wrap(big, RENDER_TEXT_MAX, 0, 30, 1, width_chars, NULL,
	    lines, 40, &ell);
	assert_int_equal(n, 40);
	assert_true(ell);
	for (i = 0; i < n; i++) {
		assert_true(width_chars(NULL, big + lines[i].off,
		    lines[i].len) <= 30 - (i == n - 1));
		assert_true(i == 0 || lines[i].off >= lines[i - 1].off +
		    lines[i - 1].len);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_french_and_western_text_is_exact),
		cmocka_unit_test(test_what_winansi_lacks_is_visible),
		cmocka_unit_test(test_fit_cuts_with_an_ellipsis),
		cmocka_unit_test(test_fit_never_cuts_a_character),
		cmocka_unit_test(test_wrap_breaks_at_words_then_characters),
		cmocka_unit_test(test_wrap_of_a_long_text_is_bounded),
		cmocka_unit_test(
		    test_render_text_cut_at_max_bytes_never_inside_a_character),
		cmocka_unit_test(test_render_text_utf8_made_safe_for_the_font),
		cmocka_unit_test(
		    test_render_text_far_past_libharu_limit_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

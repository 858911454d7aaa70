/*
 * test_render_axis.c - the bar chart's value axis: steps, ticks and
 * labels for the numbers that broke the old loops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "render_axis.h"

struct axis_case {
	double		 min, max;
	int		 mant, exp, lo, hi;
	const char	*top;		/* the label of the highest tick */
	const char	*bottom;	/* and of the lowest */
};

static const struct axis_case axis_cases[] = {
	/* Nothing, or only zeros: 0 to 1. */
	{ 0, 0, 1, 0, 0, 1, "1", "0" },
	{ -0.0, 0, 1, 0, 0, 1, "1", "0" },
	/* The ordinary: a quarter of the span, rounded up to 1, 2, 5. */
	{ 0, 345.5, 1, 2, 0, 4, "400", "0" },
	{ 0, 100, 5, 1, 0, 2, "100", "0" },
	{ 0, 40, 1, 1, 0, 4, "40", "0" },	/* a quarter is 10 exactly */
	{ 0, 4e-5, 1, -5, 0, 4, "0.00004", "0" },
	{ 0, 4, 1, 0, 0, 4, "4", "0" },
	{ 0, 1, 5, -1, 0, 2, "1", "0" },
	{ 0, 0.3, 1, -1, 0, 3, "0.3", "0" },
	{ 0, 7e6, 2, 6, 0, 4, "8000000", "0" },
	/* Negatives: the axis spans zero. */
	{ -5, 12, 5, 0, -1, 3, "15", "-5" },
	{ -20, 0, 5, 0, -4, 0, "0", "-20" },
	{ -3, -1, 1, 0, -3, 0, "0", "-3" },
	{ 2, 3, 1, 0, 0, 3, "3", "0" },		/* and from zero */
	/* Tiny: 1e-300 and denormals, never a zero step. */
	{ 0, 1e-300, 5, -301, 0, 2, "1e-300", "0" },
	{ 0, 5e-324, 1, 0, 0, 1, "1", "0" },	/* a quarter is 0 */
	{ 0, 4e-323, 5, -308, 0, 1, "5e-308", "0" },
	/* Huge: the top tick (2e308) is not a double, its label is. */
	{ 0, 1.7e308, 5, 307, 0, 4, "2e+308", "0" },
	{ 0, DBL_MAX, 5, 307, 0, 4, "2e+308", "0" },
	{ -DBL_MAX, DBL_MAX, 1, 308, -2, 2, "2e+308", "-2e+308" },
	{ 0, 1e300, 5, 299, 0, 2, "1e+300", "0" },
	{ 0, 4e12, 1, 12, 0, 4, "4e+12", "0" },
};

static void
test_render_axis_cases(void **state)
{
	struct render_axis a;
	char top[32], bottom[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(axis_cases) / sizeof(axis_cases[0]); i++) {
		const struct axis_case *c = &axis_cases[i];

		assert_int_equal(render_axis_make(c->min, c->max, &a), 0);
		render_axis_label(&a, a.hi, top, sizeof(top));
		render_axis_label(&a, a.lo, bottom, sizeof(bottom));
		if (a.mant != c->mant || a.exp != c->exp || a.lo != c->lo ||
		    a.hi != c->hi || strcmp(top, c->top) != 0 ||
		    strcmp(bottom, c->bottom) != 0)
			fail_msg("case %zu [%g, %g]: got %de%d from %d to %d "
			    "(\"%s\" to \"%s\")", i, c->min, c->max, a.mant,
			    a.exp, a.lo, a.hi, bottom, top);
		assert_true(isfinite(a.step) && a.step > 0);
		assert_true(a.lo <= 0 && 0 <= a.hi && a.lo < a.hi);
		assert_true(a.hi - a.lo <= RENDER_AXIS_MAX_TICKS);
		/* Every value given falls on the axis. */
		assert_true(render_axis_pos(&a, c->min) >= 0);
		assert_true(render_axis_pos(&a, c->max) <= 1);
		assert_true(render_axis_pos(&a, c->max) >=
		    render_axis_pos(&a, c->min));
	}
}

static void
test_render_axis_refuses_what_is_not_finite(void **state)
{
	struct render_axis a;

	(void)state;
	assert_int_equal(render_axis_make(0, INFINITY, &a), -1);
	assert_int_equal(render_axis_make(-INFINITY, 0, &a), -1);
	assert_int_equal(render_axis_make(0, NAN, &a), -1);
	assert_int_equal(render_axis_make(NAN, NAN, &a), -1);
}

/* Positions: zero where it belongs, the extremes within [0, 1]. */
static void
test_render_axis_positions(void **state)
{
	struct render_axis a;

	(void)state;
	assert_int_equal(render_axis_make(-5, 12, &a), 0);
	assert_float_equal(render_axis_pos(&a, 0), 0.25, 1e-12);
	assert_float_equal(render_axis_pos(&a, -5), 0, 1e-12);
	assert_float_equal(render_axis_pos(&a, 15), 1, 1e-12);
	assert_int_equal(render_axis_make(-DBL_MAX, DBL_MAX, &a), 0);
	assert_float_equal(render_axis_pos(&a, 0), 0.5, 1e-12);
	assert_true(render_axis_pos(&a, DBL_MAX) <= 1);
	assert_true(render_axis_pos(&a, -DBL_MAX) >= 0);
}

struct label_case {
	int		 mant, exp, k;
	const char	*want;
};

static const struct label_case label_cases[] = {
	{ 1, 0, 0, "0" },
	{ 5, -1, 3, "1.5" },
	{ 2, -1, -1, "-0.2" },
	{ 5, -4, 1, "0.0005" },
	{ 5, -4, 3, "0.0015" },
	{ 1, -8, 1, "0.00000001" },	/* 10 characters: plain */
	{ 1, -9, 1, "1e-09" },		/* 11: a power of ten */
	{ 5, -9, 3, "1.5e-08" },
	{ 2, 3, 4, "8000" },
	{ 1, 9, 1, "1000000000" },
	{ 1, 9, 10, "1e+10" },
	{ 5, 9, 3, "1.5e+10" },
	{ 5, 307, 4, "2e+308" },
	{ 5, 307, -4, "-2e+308" },
	{ 5, -324, 1, "5e-324" },
	{ 2, -308, 5, "1e-307" },
};

static void
test_render_axis_labels(void **state)
{
	struct render_axis a;
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(label_cases) / sizeof(label_cases[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.mant = label_cases[i].mant;
		a.exp = label_cases[i].exp;
		render_axis_label(&a, label_cases[i].k, out, sizeof(out));
		if (strcmp(out, label_cases[i].want) != 0)
			fail_msg("case %zu: \"%s\", not \"%s\"", i, out,
			    label_cases[i].want);
	}
	/* A short buffer is cut, never overrun. */
	a.mant = 5;
	a.exp = 307;
	render_axis_label(&a, 4, out, 3);
	assert_string_equal(out, "2e");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_axis_cases),
		cmocka_unit_test(test_render_axis_refuses_what_is_not_finite),
		cmocka_unit_test(test_render_axis_positions),
		cmocka_unit_test(test_render_axis_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * render_axis.c - the bar chart's value axis (render_axis.h).
 *
 * The old axis searched for its step with `while (p * 10 <= raw) p *= 10`
 * and drew its ticks with `for (v = 0; v <= top; v += step)`: an infinite
 * value never leaves the first loop, and a top past DBL_MAX (an axis to
 * 2e308 for a value of 1.7e308) never ends the second.  Here the step
 * comes from log10 with at most one correction either way, the ticks are
 * counted in integers, and the labels are written from the integer
 * mantissa and the exponent, so nothing is multiplied out.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_axis.h"

int
render_axis_make(double min, double max, struct render_axis *a)
{
	double pos, neg, raw, p, f;
	int e;

	if (!isfinite(min) || !isfinite(max))
		return -1;
	/* The axis spans zero: [-neg, pos]. */
	pos = fmax(fmax(min, max), 0);
	neg = fmax(-fmin(min, max), 0);
	/* A quarter of the span, halved first: pos + neg may not be a
	 * double, pos / 4 + neg / 4 always is. */
	raw = pos / 4 + neg / 4;
	a->mant = 1;
	a->exp = 0;
	a->step = 1;
	a->lo = 0;
	a->hi = 1;
	if (raw == 0)
		return 0;
	/* Below DBL_MIN, powers of ten lose their precision and 10^-324
	 * is 0: such values are drawn as zero on a tiny axis. */
	if (raw < DBL_MIN)
		raw = DBL_MIN;
	e = (int)floor(log10(raw));
	/* log10 may be off by one at exact powers of ten; raw is at most
	 * DBL_MAX / 2, so e <= 307 and p * 10 is finite. */
	if ((p = pow(10, e)) > raw)
		p = pow(10, --e);
	else if (p * 10 <= raw)
		p = pow(10, ++e);
	f = raw / p;
	if (f <= 1)
		a->mant = 1;
	else if (f <= 2)
		a->mant = 2;
	else if (f <= 5)
		a->mant = 5;
	else {
		a->mant = 1;
		e++;
	}
	a->exp = e;
	a->step = a->mant * pow(10, e);
	/* step >= raw = (pos + neg) / 4, so each quotient is at most 4. */
	a->hi = (int)ceil(pos / a->step);
	a->lo = -(int)ceil(neg / a->step);
	if (a->hi == a->lo)
		a->hi = a->lo + 1;
	/* Cannot happen (see above), but the callers' loops rely on it. */
	if (a->hi > RENDER_AXIS_MAX_TICKS / 2)
		a->hi = RENDER_AXIS_MAX_TICKS / 2;
	if (a->lo < -(RENDER_AXIS_MAX_TICKS / 2))
		a->lo = -(RENDER_AXIS_MAX_TICKS / 2);
	return 0;
}

double
render_axis_pos(const struct render_axis *a, double v)
{
	double t = (v / a->step - a->lo) / (a->hi - a->lo);

	if (!(t >= 0))		/* NaN too */
		return 0;
	return t > 1 ? 1 : t;
}

void
render_axis_label(const struct render_axis *a, int k, char *out,
    size_t size)
{
	char digits[16], *d;
	long km = (long)k * a->mant;
	int e = a->exp, nd, x;

	if (km == 0) {
		snprintf(out, size, "0");
		return;
	}
	while (km % 10 == 0) {
		km /= 10;
		e++;
	}
	/* The value is km * 10^e, with km's digits in digits[]. */
	nd = snprintf(digits, sizeof(digits), "%ld", labs(km));
	d = digits;
	if (e >= 0 && nd + e <= 10)
		snprintf(out, size, "%s%s%.*s", km < 0 ? "-" : "", d, e,
		    "0000000000");
	else if (e < 0 && -e < nd)
		snprintf(out, size, "%s%.*s.%s", km < 0 ? "-" : "",
		    nd + e, d, d + nd + e);
	else if (e < 0 && 2 - e <= 10)
		snprintf(out, size, "%s0.%.*s%s", km < 0 ? "-" : "",
		    -e - nd, "0000000000", d);
	else {
		/* d.ddde+XX, as printf's %g writes it. */
		x = e + nd - 1;
		snprintf(out, size, "%s%c%s%se%c%02d", km < 0 ? "-" : "",
		    d[0], nd > 1 ? "." : "", d + 1, x < 0 ? '-' : '+', abs(x));
	}
}

/*
 * render_axis.h - the value axis of the fallback PDF's bar chart: from
 * the smallest and largest values, a few "nice" ticks (1, 2 or 5 times a
 * power of ten) spanning both and zero, and their labels.
 *
 * Pure arithmetic with no drawing, so that it can be tested on the
 * numbers that break naive code: 0, negatives, 1e-300, denormals and
 * values near DBL_MAX, whose axis top (2e308) is not a double.  The
 * ticks are kept as small integers times the step, so no tick value is
 * ever computed when it would overflow, and every loop over the ticks
 * is bounded by RENDER_AXIS_MAX_TICKS.
 */
#ifndef SENDREPORTS_RENDER_AXIS_H
#define SENDREPORTS_RENDER_AXIS_H

#include <stddef.h>

/* At most this many intervals between the lowest and highest tick. */
#define RENDER_AXIS_MAX_TICKS	10

struct render_axis {
	int	mant;		/* the step is mant * 10^exp, mant 1, 2 or 5 */
	int	exp;
	double	step;		/* mant * 10^exp, finite and > 0 */
	int	lo, hi;		/* the axis runs from lo to hi steps:
				   lo <= 0 <= hi, lo < hi, hi - lo at most
				   RENDER_AXIS_MAX_TICKS */
};

/*
 * Makes the axis for values between min and max (min <= max; the axis
 * always includes zero).  Returns 0, or -1 when either is not a finite
 * number.
 */
int	render_axis_make(double min, double max, struct render_axis *a);

/*
 * Where v (between the min and max given) falls on the axis: 0 at the
 * lowest tick, 1 at the highest.  Never overflows.
 */
double	render_axis_pos(const struct render_axis *a, double v);

/*
 * Writes the label of tick k (a->lo <= k <= a->hi), that is k steps, into
 * out: "0", "2.5", "-10", "20000", "0.0005", "1e-300", "2e+308".  Plain
 * digits while they fit 10 characters, else a power of ten.
 */
void	render_axis_label(const struct render_axis *a, int k, char *out,
	    size_t size);

#endif

/*
 * render_chart.h - the fallback PDF's bar chart: the value column of the
 * first rows (render_data.h) as vector bars from a zero line, a value
 * axis of "nice" ticks (render_axis.h) with labels, each bar's label
 * below it.
 */
#ifndef SENDREPORTS_RENDER_CHART_H
#define SENDREPORTS_RENDER_CHART_H

#include "render_page.h"

/*
 * Draws the chart, when report_data has one, at the cursor or on a new
 * page when it does not fit (both passes).  Returns 0 or -1.
 */
int	render_chart(struct render *r);

#endif

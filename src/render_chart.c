/*
 * render_chart.c - the bar chart (render_chart.h).
 *
 * Every value was checked finite when it was read (render_data.c), and
 * the axis never computes a tick's value, only its place and its label:
 * so every loop here is bounded (RENDER_CHART_MAX_BARS bars,
 * RENDER_AXIS_MAX_TICKS ticks) and no number overflows.
 */
#include <math.h>
#include <string.h>

#include "render_axis.h"
#include "render_chart.h"

#define CHART_H		170.0
#define AXIS_W		44.0		/* its labels, left of the axis */
#define LABEL_SIZE	7.0

/* The value axis: its grid lines and their labels. */
static void
render_chart_axis(struct render *r, const struct render_axis *ax,
    double x0, double y0, double cw)
{
	HPDF_Page p;
	char label[32];
	double y;
	int k;

	for (k = ax->lo; k <= ax->hi; k++) {
		y = y0 + (double)(k - ax->lo) / (ax->hi - ax->lo) *
		    (CHART_H - 14);
		if ((p = render_gfx(r)) != NULL) {
			HPDF_Page_SetLineWidth(p, 0.5);
			HPDF_Page_SetGrayStroke(p, 0.8);
			HPDF_Page_MoveTo(p, (HPDF_REAL)x0, (HPDF_REAL)y);
			HPDF_Page_LineTo(p, (HPDF_REAL)(x0 + cw), (HPDF_REAL)y);
			HPDF_Page_Stroke(p);
		}
		render_axis_label(ax, k, label, sizeof(label));
		render_text_fit(r, &r->font, LABEL_SIZE, RENDER_MARGIN, y - 2,
		    40, RENDER_RIGHT, label, strlen(label));
	}
}

int
render_chart(struct render *r)
{
	const struct render_data *d = r->data;
	struct render_axis ax;
	double min = 0, max = 0, x0, y0, cw, bw, zero, top;
	HPDF_Page p;
	size_t i, n = d->nbars;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		min = fmin(min, d->bar_value[i]);
		max = fmax(max, d->bar_value[i]);
	}
	if (render_axis_make(min, max, &ax) == -1)
		return render_fail(r, RENDER_DATAERR, "report_data: a chart "
		    "value is not a finite number");
	if (r->y - CHART_H - 30 < RENDER_BODY_BOTTOM &&
	    render_page_new(r) == -1)
		return -1;
	x0 = RENDER_MARGIN + AXIS_W;
	cw = r->pw - RENDER_MARGIN - x0;
	r->y -= 16;
	render_text_fit(r, &r->bold, 10, RENDER_MARGIN, r->y,
	    r->pw - 2 * RENDER_MARGIN, RENDER_LEFT,
	    render_data_str(d, d->bar_title), d->bar_title.len);
	y0 = r->y - CHART_H;
	render_chart_axis(r, &ax, x0, y0, cw);
	zero = y0 + render_axis_pos(&ax, 0) * (CHART_H - 14);
	if ((p = render_gfx(r)) != NULL) {
		HPDF_Page_SetGrayStroke(p, 0);
		HPDF_Page_MoveTo(p, (HPDF_REAL)x0, (HPDF_REAL)y0);
		HPDF_Page_LineTo(p, (HPDF_REAL)x0,
		    (HPDF_REAL)(y0 + CHART_H - 10));
		HPDF_Page_MoveTo(p, (HPDF_REAL)x0, (HPDF_REAL)zero);
		HPDF_Page_LineTo(p, (HPDF_REAL)(x0 + cw), (HPDF_REAL)zero);
		HPDF_Page_Stroke(p);
	}
	bw = cw / (double)n;
	for (i = 0; i < n; i++) {
		/* From the zero line, up or down. */
		top = y0 + render_axis_pos(&ax, d->bar_value[i]) *
		    (CHART_H - 14);
		if (top != zero && (p = render_gfx(r)) != NULL) {
			HPDF_Page_SetRGBFill(p, 0.16, 0.32, 0.60);
			HPDF_Page_Rectangle(p,
			    (HPDF_REAL)(x0 + (double)i * bw + bw * 0.15),
			    (HPDF_REAL)fmin(zero, top), (HPDF_REAL)(bw * 0.7),
			    (HPDF_REAL)fabs(top - zero));
			HPDF_Page_Fill(p);
			HPDF_Page_SetGrayFill(p, 0);
		}
		render_text_fit(r, &r->font, LABEL_SIZE,
		    x0 + (double)i * bw + 1, y0 - 10, bw - 2, RENDER_CENTER,
		    render_data_str(d, d->bar_label[i]), d->bar_label[i].len);
	}
	r->y = y0 - 24;
	return r->status == RENDER_OK ? 0 : -1;
}

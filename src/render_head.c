/*
 * render_head.c - the top of the fallback PDF (render_head.h).
 */
#include <stdio.h>
#include <string.h>

#include "render_head.h"
#include "timeutil.h"

#define PARAM_SIZE	9.0
#define PARAM_H		12.0
#define KPI_PER_ROW	4
#define KPI_H		42.0
#define KPI_GAP		8.0

static void
render_heading(struct render *r)
{
	const struct render_data *d = r->data;
	double w = r->pw - 2 * RENDER_MARGIN;
	char when[64], line[128];
	int n;

	r->y -= 20;
	render_text_fit(r, &r->bold, 18, RENDER_MARGIN, r->y, w, RENDER_LEFT,
	    render_data_str(d, d->title), d->title.len);
	if (d->subtitle.len) {
		r->y -= 17;
		render_text_fit(r, &r->font, 12, RENDER_MARGIN, r->y, w,
		    RENDER_LEFT, render_data_str(d, d->subtitle),
		    d->subtitle.len);
	}
	if (time_format_local(r->opt->now, r->opt->timezone, when,
	    sizeof(when)) == -1)
		time_format_db(r->opt->now, when);
	n = snprintf(line, sizeof(line), "Generated %s", when);
	r->y -= 14;
	render_gray(r, 0.35);
	render_text_fit(r, &r->font, 9, RENDER_MARGIN, r->y, w, RENDER_LEFT,
	    line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	render_gray(r, 0);
	r->y -= 8;
}

/* "Name: value" lines, the names in bold in at most a third. */
static int
render_parameters(struct render *r)
{
	const struct render_data *d = r->data;
	const struct render_str *k, *v;
	double w = r->pw - 2 * RENDER_MARGIN, kw;
	size_t i;

	for (i = 0; i < d->nparams; i++) {
		k = &d->params[2 * i];
		v = &d->params[2 * i + 1];
		if (r->y - PARAM_H < RENDER_BODY_BOTTOM &&
		    render_page_new(r) == -1)
			return -1;
		r->y -= PARAM_H;
		render_text_fit(r, &r->bold, PARAM_SIZE, RENDER_MARGIN, r->y,
		    w / 3, RENDER_LEFT, render_data_str(d, *k), k->len);
		if (r->dry)
			continue;
		kw = render_width(r, &r->bold, PARAM_SIZE,
		    render_data_str(d, *k), k->len) + 6;
		if (kw > w / 3)
			kw = w / 3;
		render_text_fit(r, &r->font, PARAM_SIZE, RENDER_MARGIN + kw,
		    r->y, w - kw, RENDER_LEFT, render_data_str(d, *v),
		    v->len);
	}
	if (d->nparams)
		r->y -= 8;
	return r->status == RENDER_OK ? 0 : -1;
}

/* The KPIs as boxes: a blue edge, the label small, the value large. */
static int
render_kpis(struct render *r)
{
	const struct render_data *d = r->data;
	const struct render_str *label, *value;
	double w = r->pw - 2 * RENDER_MARGIN, bw, x;
	HPDF_Page p;
	size_t i;

	bw = (w - (KPI_PER_ROW - 1) * KPI_GAP) / KPI_PER_ROW;
	for (i = 0; i < d->nkpis; i++) {
		label = &d->kpis[2 * i];
		value = &d->kpis[2 * i + 1];
		if (i % KPI_PER_ROW == 0) {
			if (r->y - KPI_H - KPI_GAP < RENDER_BODY_BOTTOM &&
			    render_page_new(r) == -1)
				return -1;
			r->y -= KPI_H + KPI_GAP;
		}
		x = RENDER_MARGIN + (double)(i % KPI_PER_ROW) * (bw + KPI_GAP);
		render_fill(r, x, r->y, bw, KPI_H, 0.93);
		if ((p = render_gfx(r)) != NULL) {
			HPDF_Page_SetRGBFill(p, 0.16, 0.32, 0.60);
			HPDF_Page_Rectangle(p, (HPDF_REAL)x, (HPDF_REAL)r->y, 3,
			    KPI_H);
			HPDF_Page_Fill(p);
		}
		render_gray(r, 0.35);
		render_text_fit(r, &r->font, 8, x + 9, r->y + KPI_H - 13,
		    bw - 14, RENDER_LEFT, render_data_str(d, *label),
		    label->len);
		render_gray(r, 0);
		render_text_fit(r, &r->bold, 14, x + 9, r->y + 9, bw - 14,
		    RENDER_LEFT, render_data_str(d, *value), value->len);
	}
	if (d->nkpis)
		r->y -= 12;
	return r->status == RENDER_OK ? 0 : -1;
}

int
render_head(struct render *r)
{
	render_heading(r);
	if (render_parameters(r) == -1 || render_kpis(r) == -1)
		return -1;
	return 0;
}

/*
 * render_head.h - the top of the fallback PDF: the title, subtitle and
 * generation time, the parameters as "Name: value" lines, the KPIs as a
 * row of boxes (four to a row); the parameters and KPIs go on to as many
 * pages as they take.
 */
#ifndef SENDREPORTS_RENDER_HEAD_H
#define SENDREPORTS_RENDER_HEAD_H

#include "render_page.h"

/*
 * Draws the top of the document from the cursor of the first page (both
 * passes).  Returns 0, or -1 with the problem recorded (max_pages).
 */
int	render_head(struct render *r);

#endif

/*
 * smtp_url.h - internal to the SMTP client (smtp.c): the relay's URL.
 * Only smtp.c and smtp_url.c include it.
 */
#ifndef SENDREPORTS_SMTP_URL_H
#define SENDREPORTS_SMTP_URL_H

#include "buf.h"
#include "smtp.h"

/*
 * Refuses what smtp.h promises to refuse of o (no URL, another scheme,
 * credentials in the URL, AUTH without TLS...); *smtps says whether the
 * URL is implicit TLS.  0, or -1 with err set.
 */
int	smtp_url_check(const struct smtp_options *o, int *smtps,
	    struct buf *err);

/*
 * o->url with the EHLO name as its path (libcurl says EHLO with it):
 * [smtp] helo when given, else the URL's own path, else the box's fully
 * qualified name or its host name with ".localdomain".  Malloc'ed; NULL
 * with err set.
 */
char	*smtp_url_with_helo(const struct smtp_options *o, struct buf *err);

/*
 * url in the other TLS mode (smtps <-> smtp), its port explicit, with
 * "host:port" and the host; each malloc'ed.  0, or -1 (no memory, or a
 * URL libcurl does not parse): the other mode is then not asked.
 */
int	smtp_url_other_mode(const char *url, int smtps, char **other_url,
	    char **hostport, char **host);

#endif

/*
 * smtp_tls.h - internal to the SMTP client: the trust libcurl is given,
 * set on smtp.c's easy handle.
 */
#ifndef SENDREPORTS_SMTP_TLS_H
#define SENDREPORTS_SMTP_TLS_H

#include <curl/curl.h>

#include "buf.h"

/*
 * Chooses where the certificates come from, in this order: ca_file, which
 * must be there; the bundle libcurl looks for on the box; Windows' store
 * with Schannel; the one the binary carries (cabundle.h).  Never skips
 * verification for lack of one.  *ca_source (static) names the choice.
 * 0, or -1 with err set.
 */
int	smtp_tls_set_ca(CURL *curl, const char *ca_file, const char **ca_source,
	    struct buf *err);

/* CURLOPT_PINNEDPUBLICKEY of the base64 SHA-256 keys pins ("A;B").  0/-1. */
int	smtp_tls_set_pins(CURL *curl, const char *pins);

#endif

/*
 * smtp_url.c - the relay's URL (smtp_url.h): what it may say, the EHLO
 * name libcurl takes from its path, and the same server in the other TLS
 * mode, for the hint after a failure.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "os_sys.h"
#include "smtp_url.h"

#define SMTP_URL_ERROR_MAX	1024

int
smtp_url_check(const struct smtp_options *o, int *smtps, struct buf *err)
{
	CURLU *u = NULL;
	char *scheme = NULL, *user = NULL;
	int rv = -1;

	if (o->url == NULL || *o->url == '\0') {
		(void)buf_puts(err, "smtp url is not set");
		goto out;
	}
	if ((u = curl_url()) == NULL) {
		(void)buf_puts(err, "out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, o->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		(void)buf_printf(err, "smtp url %s is not a valid URL", o->url);
		goto out;
	}
	if (strcasecmp(scheme, "smtp") != 0 &&
	    strcasecmp(scheme, "smtps") != 0) {
		(void)buf_printf(err, "smtp url %s: the scheme must be smtp "
		    "or smtps", o->url);
		goto out;
	}
	*smtps = strcasecmp(scheme, "smtps") == 0;
	/* libcurl would log in with them, whatever the TLS state. */
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		(void)buf_puts(err, "smtp url holds credentials: use "
		    "username and password_file");
		goto out;
	}
	if (*smtps && o->tls == SMTP_TLS_NONE) {
		(void)buf_puts(err, "smtps:// is implicit TLS, but tls = none");
		goto out;
	}
	if (o->username != NULL && *o->username != '\0') {
		if (!*smtps && o->tls != SMTP_TLS_REQUIRED) {
			(void)buf_puts(err, "a username is set but TLS is not "
			    "required: set tls = required or use smtps://, so "
			    "the password never goes out in clear text");
			goto out;
		}
		if (o->password == NULL) {
			(void)buf_puts(err, "a username but no password");
			goto out;
		}
	}
	rv = 0;
out:
	curl_free(user);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rv;
}

/*
 * libcurl says EHLO with the path of the URL: o->url with its path set to
 * [smtp] helo when given, else kept when the URL has one, else the box's
 * name (os_host_fqdn).  NULL with err set when it cannot be made.
 */
char *
smtp_url_with_helo(const struct smtp_options *o, struct buf *err)
{
	CURLU *u;
	char name[300], *path = NULL, *url = NULL, *out = NULL;
	struct buf p;

	buf_init(&p, sizeof(name) + 2);
	if ((u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, o->url, 0) != CURLUE_OK) {
		(void)buf_printf(err, "smtp url %s is not a valid URL", o->url);
		goto out;
	}
	if (o->helo == NULL && curl_url_get(u, CURLUPART_PATH, &path, 0) ==
	    CURLUE_OK && path && path[0] && strcmp(path, "/") != 0) {
		out = strdup(o->url);	/* the URL names it */
		goto out;
	}
	if (o->helo)
		snprintf(name, sizeof(name), "%s", o->helo);
	else
		os_host_fqdn(name, sizeof(name));
	if (buf_printf(&p, "/%s", name) == -1 ||
	    curl_url_set(u, CURLUPART_PATH, p.data, CURLU_URLENCODE) !=
	    CURLUE_OK || curl_url_get(u, CURLUPART_URL, &url, 0) !=
	    CURLUE_OK) {
		(void)buf_printf(err, "smtp url %s: cannot name EHLO \"%s\"",
		    o->url, name);
		goto out;
	}
	out = strdup(url);
out:
	if (out == NULL && err->len == 0)
		(void)buf_puts(err, "out of memory");
	curl_free(url);
	curl_free(path);
	curl_url_cleanup(u);
	buf_release(&p);
	return out;
}

/*
 * Prepares what smtp_other_mode() needs: url with the other scheme and
 * its port made explicit (smtps:// means 465, smtp:// 25), "host:port"
 * for the hint, and the host.
 */
int
smtp_url_other_mode(const char *url, int smtps, char **other_url,
    char **hostport, char **host)
{
	CURLU *u = NULL;
	char *h = NULL, *port = NULL, *other = NULL;
	struct buf hp;
	int rc = -1;

	buf_init(&hp, SMTP_URL_ERROR_MAX);
	if ((u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PORT, port, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_SCHEME, smtps ? "smtp" : "smtps",
	    0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &other, 0) != CURLUE_OK ||
	    buf_printf(&hp, "%s:%s", h, port) == -1)
		goto out;
	if ((*other_url = strdup(other)) == NULL ||
	    (*host = strdup(h)) == NULL)
		goto out;
	*hostport = buf_detach(&hp, NULL);
	rc = 0;
out:
	buf_release(&hp);
	curl_free(other);
	curl_free(port);
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

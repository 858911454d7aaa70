/*
 * smtpconf.c - the SMTP options from the configuration (smtpconf.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "os_libc.h"
#include "smtpconf.h"

#define SMTPCONF_PASSWORD_MAX	1024

/* Reads the first line of path, without its line end. */
static char *
smtpconf_read_password(const char *path, struct buf *err)
{
	char line[SMTPCONF_PASSWORD_MAX], *p;
	FILE *fp;

	if (conf_check_secret_file(path, "password file", err) == -1)
		return NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		buf_printf(err, "password file '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fgets(line, sizeof(line), fp) == NULL) {
		buf_printf(err, "password file '%s' is empty", path);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0') {
		buf_printf(err, "password file '%s': the first line is empty",
		    path);
		return NULL;
	}
	if ((p = strdup(line)) == NULL)
		buf_printf(err, "out of memory");
	explicit_bzero(line, sizeof(line));
	return p;
}

int
smtpconf_options(const struct conf *c, struct smtp_options *o,
    char **password, struct buf *err)
{
	memset(o, 0, sizeof(*o));
	*password = NULL;
	o->url = c->smtp_url;
	o->tls = c->tls == CONF_TLS_REQUIRED ? SMTP_TLS_REQUIRED :
	    c->tls == CONF_TLS_OPPORTUNISTIC ? SMTP_TLS_OPPORTUNISTIC :
	    SMTP_TLS_NONE;
	o->ca_file = c->ca_file;
	o->helo = c->helo;
	o->pin_sha256 = c->pin_sha256;
	o->username = c->username;
	o->connect_timeout_s = c->smtp_timeout_s;
	o->timeout_s = c->smtp_timeout_s;
	if (c->username && *c->username) {
		if (c->password_file)
			*password = smtpconf_read_password(c->password_file,
			    err);
		else if (c->password && (*password = strdup(c->password)) ==
		    NULL)
			buf_printf(err, "out of memory");
		else if (c->password == NULL)
			buf_printf(err, "[smtp] username is set without "
			    "password or password_file");
		if (*password == NULL)
			return -1;
	}
	o->password = *password;
	return 0;
}

void
smtpconf_wipe(char **password)
{
	if (*password == NULL)
		return;
	explicit_bzero(*password, strlen(*password));
	free(*password);
	*password = NULL;
}

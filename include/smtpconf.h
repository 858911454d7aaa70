/*
 * smtpconf.h - the SMTP client's options from the configuration's [smtp]
 * section, the password read from password_file when there is one.
 */
#ifndef SENDREPORTS_SMTPCONF_H
#define SENDREPORTS_SMTPCONF_H

#include "buf.h"
#include "smtp.h"

struct conf;

/*
 * Fills *o from c.  *password receives a copy of the password (from the
 * configuration, or the first line of password_file) to be wiped with
 * smtpconf_wipe() once the session holds its own copy.  Returns 0, or -1
 * with err set (password file unreadable or empty): a configuration
 * error.
 */
int	smtpconf_options(const struct conf *c, struct smtp_options *o,
	    char **password, struct buf *err);

/* Overwrites and frees the password; safe on NULL. */
void	smtpconf_wipe(char **password);

#endif

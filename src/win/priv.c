/*
 * priv.c (Windows) - priv.h.  A Windows process cannot become another
 * user the way a root process does with setuid: the account a task runs
 * as is Task Scheduler's (or the service's) setting.  So [run] user and
 * `initdb --owner` are refused with that advice, and priv_drop has
 * nothing to do.
 */
#include <string.h>

#include "priv.h"

int
priv_user_lookup(struct priv_user *u, const char *spec, int allow_group,
    struct buf *err)
{
	(void)allow_group;
	memset(u, 0, sizeof(*u));
	buf_printf(err, "user \"%s\": Windows does not switch users: run the "
	    "scheduled task as that account instead", spec);
	return -1;
}

void
priv_user_release(struct priv_user *u)
{
	memset(u, 0, sizeof(*u));
}

int
priv_drop(const struct priv_user *u, struct buf *err)
{
	(void)u;
	(void)err;
	return 0;	/* never the superuser here: nothing to drop */
}

int
priv_can(const struct priv_user *u, const struct stat *st, int what)
{
	(void)u;
	(void)st;
	(void)what;
	return 1;	/* the ACL decides, at the open */
}

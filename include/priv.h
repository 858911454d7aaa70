/*
 * priv.h - the run user: who every command but `initdb` and `check` runs
 * as when started as root ([run] user), and whom `initdb --owner` gives
 * the box's directories and databases to.
 *
 *	priv_user_lookup(&u, "nobody", 0, &err);	-1: no such user
 *	priv_drop(&u, &err);				-1: still root, stop
 *	priv_user_release(&u);
 */
#ifndef SENDREPORTS_PRIV_H
#define SENDREPORTS_PRIV_H

#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"
#include "os_proc.h"

#define PRIV_GROUPS_MAX	64

struct priv_user {
	char	*name;		/* the user's name */
	uid_t	 uid;
	gid_t	 user_gid;	/* the user's primary group */
	gid_t	 gid;		/* GROUP of USER:GROUP, else user_gid */
	int	 group_given;	/* USER:GROUP named a group */
	char	*group;		/* the name of gid, or its number */
	gid_t	 groups[PRIV_GROUPS_MAX];	/* every group of the user */
	int	 ngroups;
};

/*
 * Looks up "USER", or "USER:GROUP" when allow_group, in the box's user
 * and group databases.  Returns 0 with u filled (free with
 * priv_user_release()), or -1 with err naming what does not exist; then u
 * holds nothing to free.
 */
int	priv_user_lookup(struct priv_user *u, const char *spec, int allow_group,
	    struct buf *err);

/* Frees the names; safe twice. */
void	priv_user_release(struct priv_user *u);

/*
 * Becomes u for good when the process runs as root: initgroups(), then
 * setgid() and setuid() to u's primary group and uid, then checks that
 * neither uid nor gid is root's any more and that setuid(0) fails.  Does
 * nothing (returns 0) when the process does not run as root or u is root.
 * Returns 0, or -1 with err set: the caller must stop, the process may be
 * half-dropped.
 */
int	priv_drop(const struct priv_user *u, struct buf *err);

/*
 * Whether u may access a file of status st for `what` (R_OK, W_OK, X_OK
 * or'ed), by the permission bits alone (owner, then group, then others;
 * ACLs are not read).  1 or 0.
 */
int	priv_can(const struct priv_user *u, const struct stat *st, int what);

#endif

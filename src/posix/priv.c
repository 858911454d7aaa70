/*
 * priv.c - the run user (priv.h): looking it up, and dropping root for it.
 *
 * The drop is the usual order, each step checked: supplementary groups
 * first (initgroups needs root), then the group, then the user, since
 * setuid() gives up the right to do the others.  A setuid() that
 * "succeeds" but leaves a saved root uid would let the process come back;
 * setuid(0) must therefore fail afterwards, and its success is an error.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"

int
priv_user_lookup(struct priv_user *u, const char *spec, int allow_group,
    struct buf *err)
{
	struct passwd *pw;
	struct group *gr;
	char *user = NULL;
	const char *colon, *group = NULL;
	int n, rv = -1;

	memset(u, 0, sizeof(*u));
	colon = allow_group ? strchr(spec, ':') : NULL;
	if (colon != NULL) {
		user = strndup(spec, (size_t)(colon - spec));
		group = colon + 1;
	} else
		user = strdup(spec);
	if (user == NULL) {
		buf_printf(err, "out of memory");
		goto out;
	}
	if (*user == '\0' || (group != NULL && *group == '\0')) {
		buf_printf(err, "\"%s\" is not USER or USER:GROUP", spec);
		goto out;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		buf_printf(err, "no user \"%s\" on this box", user);
		goto out;
	}
	u->uid = pw->pw_uid;
	u->user_gid = u->gid = pw->pw_gid;
	n = PRIV_GROUPS_MAX;
	if (getgrouplist(user, pw->pw_gid, u->groups, &n) == -1)
		n = PRIV_GROUPS_MAX;	/* the first ones are enough */
	u->ngroups = n;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			buf_printf(err, "no group \"%s\" on this box", group);
			goto out;
		}
		u->gid = gr->gr_gid;
		u->group_given = 1;
		u->group = strdup(group);
	} else if ((gr = getgrgid(u->gid)) != NULL)
		u->group = strdup(gr->gr_name);
	else {
		char num[32];

		snprintf(num, sizeof(num), "%lu", (unsigned long)u->gid);
		u->group = strdup(num);
	}
	if (u->group == NULL) {
		buf_printf(err, "out of memory");
		goto out;
	}
	u->name = user;
	user = NULL;
	rv = 0;
out:
	free(user);
	if (rv == -1)
		priv_user_release(u);
	return rv;
}

void
priv_user_release(struct priv_user *u)
{
	free(u->name);
	u->name = NULL;
	free(u->group);
	u->group = NULL;
}

int
priv_drop(const struct priv_user *u, struct buf *err)
{
	if (geteuid() != 0 || u->uid == 0)
		return 0;
	if (initgroups(u->name, u->user_gid) == -1) {
		buf_printf(err, "cannot take the groups of %s: %s", u->name,
		    strerror(errno));
		return -1;
	}
	if (setgid(u->user_gid) == -1) {
		buf_printf(err, "cannot become group %lu: %s",
		    (unsigned long)u->user_gid, strerror(errno));
		return -1;
	}
	if (setuid(u->uid) == -1) {
		buf_printf(err, "cannot become user %s: %s", u->name,
		    strerror(errno));
		return -1;
	}
	if (getuid() != u->uid || geteuid() != u->uid ||
	    getgid() != u->user_gid || getegid() != u->user_gid) {
		buf_printf(err, "still root after becoming %s", u->name);
		return -1;
	}
	if (setuid(0) != -1) {
		buf_printf(err, "could become root again after becoming %s",
		    u->name);
		return -1;
	}
	return 0;
}

int
priv_can(const struct priv_user *u, const struct stat *st, int what)
{
	mode_t need = 0;
	int i, in_group = 0;

	if (u->uid == 0)
		return 1;
	if (st->st_uid == u->uid) {
		need = (what & R_OK ? S_IRUSR : 0) | (what & W_OK ? S_IWUSR :
		    0) | (what & X_OK ? S_IXUSR : 0);
		return (st->st_mode & need) == need;
	}
	for (i = 0; i < u->ngroups; i++)
		if (u->groups[i] == st->st_gid)
			in_group = 1;
	if (in_group || st->st_gid == u->user_gid) {
		need = (what & R_OK ? S_IRGRP : 0) | (what & W_OK ? S_IWGRP :
		    0) | (what & X_OK ? S_IXGRP : 0);
		return (st->st_mode & need) == need;
	}
	need = (what & R_OK ? S_IROTH : 0) | (what & W_OK ? S_IWOTH : 0) |
	    (what & X_OK ? S_IXOTH : 0);
	return (st->st_mode & need) == need;
}

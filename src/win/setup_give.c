/*
 * setup_give.c (Windows) - setup.h's setup_give and setup_give_tree.
 * Windows has no uid and gid to give a file to: who may use the spool is
 * its ACL's business (os_perm.h), and `initdb --owner` and [run] user are
 * refused before these are reached (src/win/priv.c).  They say so if
 * called all the same.
 */
#include <errno.h>

#include "setup.h"

int
setup_give(const char *path, uid_t uid, gid_t gid, mode_t mode,
    int missing_ok, struct buf *err)
{
	(void)uid;
	(void)gid;
	(void)mode;
	(void)missing_ok;
	errno = ENOTSUP;
	buf_printf(err, "cannot give '%s': Windows has no file owners by "
	    "number (set its ACL with icacls)", path);
	return -1;
}

int
setup_give_tree(const char *dir, uid_t uid, gid_t gid, struct buf *err)
{
	return setup_give(dir, uid, gid, 0, 0, err);
}

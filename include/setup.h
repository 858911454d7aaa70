/*
 * setup.h - what `initdb` makes on the box besides the databases: the
 * directories with their parents, and giving them and the files in them
 * to the user the daemon runs as.
 *
 * Nothing here follows a symbolic link when it changes an owner or a
 * mode: a link planted in the spool cannot make root give away another
 * file.
 */
#ifndef SENDREPORTS_SETUP_H
#define SENDREPORTS_SETUP_H

#include <sys/types.h>

#include "buf.h"
#include "os_proc.h"

/* Owner and mode setup_give() leaves as they are. */
#define SETUP_KEEP_MODE	((mode_t)-1)

/*
 * Creates dir and its missing parents, like mkdir -p: each parent made
 * 0755, dir itself `mode` (the umask does not apply to either).  *created
 * is set to 1 when dir itself was made by this call, else 0.  Returns 0,
 * or -1 with err naming the directory that could not be made (or a path
 * component that is not a directory).
 */
int	setup_mkdirs(const char *dir, mode_t mode, int *created,
	    struct buf *err);

/*
 * The directory part of path: "/var/lib/x" for "/var/lib/x/reports.db",
 * "." for "reports.db", "/" for "/reports.db".  The caller frees it; NULL
 * when out of memory.
 */
char	*setup_dirname(const char *path);

/*
 * Gives path (itself, never a link's target) to uid:gid and, unless mode
 * is SETUP_KEEP_MODE, sets its mode.  A path that does not exist is fine
 * when missing_ok (a -wal file that SQLite removed).  0, or -1 with err.
 */
int	setup_give(const char *path, uid_t uid, gid_t gid, mode_t mode,
	    int missing_ok, struct buf *err);

/*
 * Gives dir, what it holds, and what its subdirectories hold (two levels:
 * the spool, its tmp/ queue/ failed/ and their files) to uid:gid, modes
 * unchanged.  0, or -1 with err naming the file that could not be given.
 */
int	setup_give_tree(const char *dir, uid_t uid, gid_t gid, struct buf *err);

#endif

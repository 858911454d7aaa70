/*
 * spool_check.c (Windows) - spool.h's spool_check: whether the spool is
 * private, read from the ACLs of the directory and of the state database
 * (os_perm.h) instead of Unix modes and owners.  Nothing is changed with
 * SPOOL_CHECK_FIX: an ACL is set with icacls, and the fix says how.  The
 * owner does not matter on Windows: who may use the spool is in the ACL.
 */
#include <errno.h>
#include <stdio.h>

#include "buf.h"
#include "os_fs.h"
#include "os_perm.h"
#include "spool.h"

int
spool_check(const char *dir, uid_t owner, int flags, spool_problem_fn *fn,
    void *ctx)
{
	static const char *const names[] = { "", "state.db" };
	char why[OS_PERM_WHY_MAX], fix[OS_PERM_FIX_MAX];
	struct buf path, problem;
	size_t i;
	int n = 0;

	(void)owner;
	(void)flags;
	buf_init(&path, 8192);
	buf_init(&problem, 16384);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		buf_reset(&path);
		if (buf_printf(&path, i > 0 ? "%s/%s" : "%s%s", dir,
		    names[i]) == -1)
			continue;
		/* Not there, or not ours to look at: the command says. */
		if (os_perm_private(path.data, why, sizeof(why), fix,
		    sizeof(fix)) != 1)
			continue;
		buf_reset(&problem);
		buf_printf(&problem, "the spool is open to other users (it "
		    "holds the reports, their recipients and the delivery "
		    "state): '%s' is %s", path.data, why);
		fn(ctx, problem.data, fix);
		n++;
	}
	buf_release(&path);
	buf_release(&problem);
	return n;
}

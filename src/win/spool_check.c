/*
 * spool_check.c (Windows) - spool.h's spool_check: whether the spool is
 * private, read from the ACLs of the directory and of the state database
 * (os_perm.h) instead of Unix modes and owners.  With SPOOL_CHECK_FIX
 * (initdb) what is open is given the access list of a private directory
 * (os_win.h: the user we run as, SYSTEM, Administrators; not inherited),
 * as chmod does on POSIX.  The owner does not matter on Windows: who may
 * use the spool is in the access list.
 */
#include <errno.h>
#include <stdio.h>

#include <stdlib.h>

#include "buf.h"
#include "log.h"
#include "os_perm.h"
#include "os_win.h"
#include "spool.h"

#include <sddl.h>

/* Gives path the private access list.  0, or -1. */
static int
spool_make_private(const char *path)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	wchar_t *w = NULL, *sddl = NULL;
	int rc = -1;

	if ((w = win_wide(path)) == NULL ||
	    (sddl = win_private_sddl()) == NULL ||
	    !ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl,
	    SDDL_REVISION_1, &sd, NULL))
		goto out;
	if (SetFileSecurityW(w, DACL_SECURITY_INFORMATION |
	    PROTECTED_DACL_SECURITY_INFORMATION, sd))
		rc = 0;
out:
	if (sd)
		LocalFree(sd);
	free(sddl);
	free(w);
	return rc;
}

int
spool_check(const char *dir, uid_t owner, int flags, spool_problem_fn *fn,
    void *ctx)
{
	static const char *const names[] = {
		"", "tmp", "queue", "failed", "state.db", "send.lock"
	};
	char why[OS_PERM_WHY_MAX], fix[OS_PERM_FIX_MAX];
	struct buf path, problem;
	size_t i;
	int n = 0;

	(void)owner;
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
		if ((flags & SPOOL_CHECK_FIX) &&
		    spool_make_private(path.data) == 0 &&
		    os_perm_private(path.data, why, sizeof(why), fix,
		    sizeof(fix)) == 0) {
			log_info("spool: %s: made private", path.data);
			continue;
		}
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

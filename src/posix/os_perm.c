/*
 * os_perm.c (POSIX) - whether a file is private: no permission bit for
 * its group or for others.  The owner is not checked here; a secret
 * readable only by someone else cannot be read by us anyway.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "os_perm.h"

int
os_perm_private(const char *path, char *why, size_t whysize, char *fix,
    size_t fixsize)
{
	struct stat st;
	int n;

	if (whysize > 0)
		why[0] = '\0';
	if (fixsize > 0)
		fix[0] = '\0';
	if (stat(path, &st) == -1)
		return -1;
	/* Even execute-only for others counts: the old check's rule, which
	 * the tests and the users' fixes are written against. */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
		return 0;
	n = snprintf(why, whysize, "accessible by group or others (mode %04o)",
	    (unsigned)(st.st_mode & 07777));
	if (n < 0 || (size_t)n >= whysize)
		goto toolong;
	n = snprintf(fix, fixsize, "chmod 600 it");
	if (n < 0 || (size_t)n >= fixsize)
		goto toolong;
	return 1;
toolong:
	if (whysize > 0)
		why[0] = '\0';
	if (fixsize > 0)
		fix[0] = '\0';
	errno = ERANGE;
	return -1;
}

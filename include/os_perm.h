/*
 * os_perm.h - whether a file is private, as a file holding a secret (the
 * configuration with a password, the password file) must be.  One
 * question, two answers: src/posix/os_perm.c reads the mode bits,
 * src/win/os_perm.c the file's access list (link with -ladvapi32).
 *
 *	char why[OS_PERM_WHY_MAX], fix[OS_PERM_FIX_MAX];
 *
 *	r = os_perm_private(path, why, sizeof(why), fix, sizeof(fix));
 *	r == 1:		"'%s' is %s; %s", path, why, fix
 *	r == -1:	errno (ENOENT: no such file)
 */
#ifndef SENDREPORTS_OS_PERM_H
#define SENDREPORTS_OS_PERM_H

#include <stddef.h>

/* Room enough for any why, and for any fix but one naming a path longer
 * than PATH_MAX (4096) or accounts with very long names. */
#define OS_PERM_WHY_MAX	1024
#define OS_PERM_FIX_MAX	6144

/*
 * Whether the file at path (UTF-8) is private: readable and writable
 * only by its owner.  On Windows also by SYSTEM and the Administrators
 * group, which can take any file anyway, and by the user we run as,
 * which must read the secret and is the one the fix grants it to.
 *
 * Returns 0 when it is.  Returns 1 when it is not, with why and fix
 * written as NUL-terminated text: why completes "'PATH' is ...", fix is
 * the command that makes it private:
 *
 *	POSIX	accessible by group or others (mode 0644)
 *		chmod 600 it
 *	Windows	readable by BUILTIN\Users
 *		icacls "C:\x\pw.txt" /inheritance:r /grant:r DOM\me:F
 *
 * The Windows fix also has "/remove:g *SID" for each account given
 * rights by the file's own entries rather than inherited ones.
 *
 * Returns -1 with errno set when it cannot tell: ENOENT (no such file),
 * EACCES (not allowed to look), ERANGE (why or fix does not fit its
 * buffer), EILSEQ (on Windows, path is not UTF-8), ENAMETOOLONG, EINVAL,
 * ENOMEM, or EIO for any other failure.  why and fix are then "" when
 * their size is not 0.
 */
int	os_perm_private(const char *path, char *why, size_t whysize,
	    char *fix, size_t fixsize);

#endif

/*
 * os_win.h - what the Windows sides of the platform layer share (private
 * to src/win/): UTF-8 to UTF-16 at the boundary, and Win32 errors as
 * errno values, so that the callers' messages (strerror) stay the same.
 */
#ifndef SENDREPORTS_OS_WIN_H
#define SENDREPORTS_OS_WIN_H

#include <windows.h>

/* path (UTF-8) as UTF-16, malloc'ed; NULL with errno (EINVAL, ENOMEM). */
wchar_t	*win_wide(const char *path);
/* s (UTF-16) as UTF-8, malloc'ed; NULL with errno. */
char	*win_utf8(const wchar_t *s);
/*
 * The security descriptor, in SDDL, of a private directory: protected
 * from inheritance, full control for the user we run as, SYSTEM and
 * Administrators, inherited by what is made inside.  malloc'ed; NULL
 * when the user's SID cannot be read.
 */
wchar_t	*win_private_sddl(void);
/* Sets errno from a Win32 error code; returns -1 for the caller's use. */
int	 win_errno(DWORD code);

#endif

/*
 * os_win.c - UTF-8/UTF-16 conversion and Win32 errors as errno values
 * (os_win.h), for the Windows sides of the platform layer.
 */
#include <errno.h>
#include <stdlib.h>
#include <wchar.h>

#include "os_win.h"

#include <sddl.h>

wchar_t *
win_wide(const char *path)
{
	wchar_t *w;
	int n;

	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1,
	    NULL, 0);
	if (n <= 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((w = malloc((size_t)n * sizeof(*w))) == NULL)
		return NULL;
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n);
	return w;
}

char *
win_utf8(const wchar_t *s)
{
	char *u;
	int n;

	n = WideCharToMultiByte(CP_UTF8, 0, s, -1, NULL, 0, NULL, NULL);
	if (n <= 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((u = malloc((size_t)n)) == NULL)
		return NULL;
	WideCharToMultiByte(CP_UTF8, 0, s, -1, u, n, NULL, NULL);
	return u;
}

int
win_errno(DWORD code)
{
	switch (code) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_DRIVE:
	case ERROR_BAD_NETPATH:
	case ERROR_BAD_NET_NAME:
		errno = ENOENT;
		break;
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION:
	case ERROR_PRIVILEGE_NOT_HELD:
		errno = EACCES;
		break;
	case ERROR_FILE_EXISTS:
	case ERROR_ALREADY_EXISTS:
		errno = EEXIST;
		break;
	case ERROR_LOCK_VIOLATION:
	case ERROR_IO_PENDING:
		errno = EWOULDBLOCK;
		break;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL:
		errno = ENOSPC;
		break;
	case ERROR_WRITE_PROTECT:
		errno = EROFS;
		break;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		errno = ENOMEM;
		break;
	case ERROR_FILENAME_EXCED_RANGE:
		errno = ENAMETOOLONG;
		break;
	case ERROR_DIR_NOT_EMPTY:
		errno = ENOTEMPTY;
		break;
	case ERROR_NOT_SAME_DEVICE:
		errno = EXDEV;
		break;
	case ERROR_NOT_SUPPORTED:
	case ERROR_INVALID_FUNCTION:
		errno = ENOTSUP;
		break;
	case ERROR_DIRECTORY:
		errno = ENOTDIR;
		break;
	case ERROR_CANT_RESOLVE_FILENAME:
		errno = ELOOP;
		break;
	default:
		errno = EIO;
		break;
	}
	return -1;
}

wchar_t *
win_private_sddl(void)
{
	static const wchar_t fmt[] = L"D:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)"
	    L"(A;OICI;FA;;;BA)";
	union {
		TOKEN_USER	user;
		char		room[256];
	} tu;
	HANDLE token;
	wchar_t *sid = NULL, *sddl = NULL;
	DWORD n;
	size_t size;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
		return NULL;
	if (GetTokenInformation(token, TokenUser, &tu, sizeof(tu), &n) &&
	    ConvertSidToStringSidW(tu.user.User.Sid, &sid)) {
		size = wcslen(fmt) + wcslen(sid) + 1;
		if ((sddl = malloc(size * sizeof(*sddl))) != NULL)
			swprintf(sddl, size, fmt, sid);
		LocalFree(sid);
	}
	CloseHandle(token);
	return sddl;
}

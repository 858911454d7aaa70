/*
 * fileid.c (Windows) - fileid.h: the volume serial number, the file's
 * index on it, and its creation time (100 ns ticks since 1601), which
 * together tell a fresh copy renamed over the reports database from the
 * file it replaced, as dev:ino:birth does on Linux.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fileid.h"
#include "os_win.h"

int
fileid_of(const char *path, char *out, size_t size)
{
	BY_HANDLE_FILE_INFORMATION fi;
	unsigned long long created;
	wchar_t *w;
	HANDLE h;
	int n;

	*out = '\0';
	if ((w = win_wide(path)) == NULL)
		return -1;
	h = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return win_errno(GetLastError());
	if (!GetFileInformationByHandle(h, &fi)) {
		win_errno(GetLastError());
		CloseHandle(h);
		return -1;
	}
	CloseHandle(h);
	created = ((unsigned long long)fi.ftCreationTime.dwHighDateTime <<
	    32) | fi.ftCreationTime.dwLowDateTime;
	n = snprintf(out, size, "%lu:%llu:%llu",
	    (unsigned long)fi.dwVolumeSerialNumber,
	    ((unsigned long long)fi.nFileIndexHigh << 32) | fi.nFileIndexLow,
	    created);
	if (n < 0 || (size_t)n >= size) {
		*out = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

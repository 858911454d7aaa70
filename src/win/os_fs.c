/*
 * os_fs.c (Windows) - os_fs.h with Win32 calls.  A directory descriptor
 * is a slot of os_dirs holding the directory's path (Windows has no
 * openat); file descriptors are the C library's, made from handles that
 * CreateFileW opened sharing read, write and delete.  os_fs.h says what
 * each durability promise is here.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os_fs.h"
#include "os_win.h"

#include <sddl.h>

/* Directory descriptors start here, far from the C library's. */
#define OS_DIR_BASE	0x40000000
#define OS_DIRS_MAX	32

static char	*os_dirs[OS_DIRS_MAX];

/* The path of a directory descriptor, or NULL (EBADF). */
static const char *
os_dir_path(int dfd)
{
	if (dfd < OS_DIR_BASE || dfd >= OS_DIR_BASE + OS_DIRS_MAX ||
	    os_dirs[dfd - OS_DIR_BASE] == NULL) {
		errno = EBADF;
		return NULL;
	}
	return os_dirs[dfd - OS_DIR_BASE];
}

/* dir/name, malloc'ed as UTF-16; NULL with errno. */
static wchar_t *
os_join(int dfd, const char *name)
{
	const char *dir;
	wchar_t *w;
	char *joined;
	size_t n;

	if ((dir = os_dir_path(dfd)) == NULL)
		return NULL;
	n = strlen(dir) + strlen(name) + 2;
	if ((joined = malloc(n)) == NULL)
		return NULL;
	snprintf(joined, n, "%s/%s", dir, name);
	w = win_wide(joined);
	free(joined);
	return w;
}

/* The attributes of a wide path, or INVALID_FILE_ATTRIBUTES with errno. */
static DWORD
os_attributes(const wchar_t *w)
{
	DWORD a = GetFileAttributesW(w);

	if (a == INVALID_FILE_ATTRIBUTES)
		win_errno(GetLastError());
	return a;
}

int
os_dir_open(const char *path)
{
	wchar_t *w;
	DWORD a;
	int i;

	if ((w = win_wide(path)) == NULL)
		return -1;
	a = os_attributes(w);
	free(w);
	if (a == INVALID_FILE_ATTRIBUTES)
		return -1;
	if (!(a & FILE_ATTRIBUTE_DIRECTORY)) {
		errno = ENOTDIR;
		return -1;
	}
	for (i = 0; i < OS_DIRS_MAX; i++)
		if (os_dirs[i] == NULL)
			break;
	if (i == OS_DIRS_MAX) {
		errno = EMFILE;
		return -1;
	}
	if ((os_dirs[i] = strdup(path)) == NULL)
		return -1;
	return OS_DIR_BASE + i;
}

int
os_dir_openat(int dfd, const char *name)
{
	const char *dir;
	char *joined;
	size_t n;
	int fd;

	if ((dir = os_dir_path(dfd)) == NULL)
		return -1;
	n = strlen(dir) + strlen(name) + 2;
	if ((joined = malloc(n)) == NULL)
		return -1;
	snprintf(joined, n, "%s/%s", dir, name);
	fd = os_dir_open(joined);
	free(joined);
	return fd;
}

void
os_dir_close(int dfd)
{
	if (os_dir_path(dfd) != NULL) {
		free(os_dirs[dfd - OS_DIR_BASE]);
		os_dirs[dfd - OS_DIR_BASE] = NULL;
	}
}

DIR *
os_dir_list(int dfd)
{
	const char *dir = os_dir_path(dfd);

	return dir ? opendir(dir) : NULL;
}

int
os_dir_sync(int dfd)
{
	const char *dir = os_dir_path(dfd);
	wchar_t *w;
	HANDLE h;

	if (dir == NULL || (w = win_wide(dir)) == NULL)
		return -1;
	/* Only some file systems take a directory's handle: where none
	 * does, NTFS's journal is what makes the names last. */
	h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(w);
	if (h != INVALID_HANDLE_VALUE) {
		FlushFileBuffers(h);
		CloseHandle(h);
	}
	return 0;
}

/*
 * CreateDirectoryW.  A mode open to nobody but the owner (0700: the
 * spool) gets what it means on Windows: an access list of its own, not
 * inherited, granting the user we run as, SYSTEM and Administrators, and
 * inherited by everything made inside.  Any other mode: the parent's.
 */
static int
os_mkdir_wide(const wchar_t *w, mode_t mode)
{
	SECURITY_ATTRIBUTES sa, *psa = NULL;
	PSECURITY_DESCRIPTOR sd = NULL;
	wchar_t *sddl = NULL;
	int rc = 0;

	if ((mode & 077) == 0 && (sddl = win_private_sddl()) != NULL &&
	    ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl,
	    SDDL_REVISION_1, &sd, NULL)) {
		memset(&sa, 0, sizeof(sa));
		sa.nLength = sizeof(sa);
		sa.lpSecurityDescriptor = sd;
		psa = &sa;
	}
	if (!CreateDirectoryW(w, psa))
		rc = win_errno(GetLastError());
	if (sd)
		LocalFree(sd);
	free(sddl);
	return rc;
}

int
os_mkdir(const char *path, mode_t mode)
{
	wchar_t *w;
	int rc;

	if ((w = win_wide(path)) == NULL)
		return -1;
	rc = os_mkdir_wide(w, mode);
	free(w);
	return rc;
}

int
os_mkdirat(int dfd, const char *name, mode_t mode)
{
	wchar_t *w;
	int rc;

	if ((w = os_join(dfd, name)) == NULL)
		return -1;
	rc = os_mkdir_wide(w, mode);
	free(w);
	return rc;
}

/* open() on a UTF-16 path, sharing read, write and delete. */
static int
os_open_wide(const wchar_t *w, int flags)
{
	DWORD access, disposition, a, attrs = FILE_ATTRIBUTE_NORMAL;
	HANDLE h;
	int fd, crt;

	switch (flags & (O_RDONLY | O_WRONLY | O_RDWR)) {
	case O_WRONLY:
		access = GENERIC_WRITE;
		break;
	case O_RDWR:
		access = GENERIC_READ | GENERIC_WRITE;
		break;
	default:
		access = GENERIC_READ;
		break;
	}
	if ((flags & O_CREAT) && (flags & O_EXCL))
		disposition = CREATE_NEW;
	else if ((flags & O_CREAT) && (flags & O_TRUNC))
		disposition = CREATE_ALWAYS;
	else if (flags & O_CREAT)
		disposition = OPEN_ALWAYS;
	else if (flags & O_TRUNC)
		disposition = TRUNCATE_EXISTING;
	else
		disposition = OPEN_EXISTING;
	a = GetFileAttributesW(w);
	if (a != INVALID_FILE_ATTRIBUTES) {
		if (a & FILE_ATTRIBUTE_DIRECTORY) {
			errno = EISDIR;
			return -1;
		}
		if ((flags & O_NOFOLLOW) &&
		    (a & FILE_ATTRIBUTE_REPARSE_POINT)) {
			errno = ELOOP;
			return -1;
		}
	}
	if (flags & O_NOFOLLOW)
		attrs |= FILE_FLAG_OPEN_REPARSE_POINT;
	h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, disposition, attrs, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return win_errno(GetLastError());
	crt = _O_BINARY | (flags & (O_RDONLY | O_WRONLY | O_RDWR |
	    O_APPEND));
	if ((fd = _open_osfhandle((intptr_t)h, crt)) == -1) {
		CloseHandle(h);
		errno = EMFILE;
	}
	return fd;
}

int
os_open(const char *path, int flags, mode_t mode)
{
	wchar_t *w;
	int fd;

	(void)mode;	/* a new file inherits its directory's ACL */
	/* The C library's names of devices. */
	if (strcmp(path, "/dev/null") == 0)
		path = "NUL";
	if ((w = win_wide(path)) == NULL)
		return -1;
	fd = os_open_wide(w, flags);
	free(w);
	return fd;
}

int
os_openat(int dfd, const char *name, int flags, mode_t mode)
{
	wchar_t *w;
	int fd;

	(void)mode;
	if ((w = os_join(dfd, name)) == NULL)
		return -1;
	fd = os_open_wide(w, flags);
	free(w);
	return fd;
}

int
os_unlinkat(int dfd, const char *name)
{
	wchar_t *w;
	int rc = 0;

	if ((w = os_join(dfd, name)) == NULL)
		return -1;
	if (!DeleteFileW(w))
		rc = win_errno(GetLastError());
	free(w);
	return rc;
}

/* Both names joined to their directories: 0, or -1 with errno (and
 * nothing to free). */
static int
os_join_pair(int fromdfd, const char *from, int todfd, const char *to,
    wchar_t **wf, wchar_t **wt)
{
	if ((*wf = os_join(fromdfd, from)) == NULL)
		return -1;
	if ((*wt = os_join(todfd, to)) == NULL) {
		free(*wf);
		*wf = NULL;
		return -1;
	}
	return 0;
}

/* The durable replace of os_renameat and os_rename. */
static int
os_move_wide(const wchar_t *wf, const wchar_t *wt)
{
	if (!MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING |
	    MOVEFILE_WRITE_THROUGH))
		return win_errno(GetLastError());
	return 0;
}

int
os_renameat(int fromdfd, const char *from, int todfd, const char *to)
{
	wchar_t *wf, *wt;
	int rc;

	if (os_join_pair(fromdfd, from, todfd, to, &wf, &wt) == -1)
		return -1;
	rc = os_move_wide(wf, wt);
	free(wf);
	free(wt);
	return rc;
}

int
os_linkat(int fromdfd, const char *from, int todfd, const char *to)
{
	wchar_t *wf, *wt;
	DWORD e;
	int rc = 0;

	if (os_join_pair(fromdfd, from, todfd, to, &wf, &wt) == -1)
		return -1;
	if (!CreateHardLinkW(wt, wf, NULL)) {
		e = GetLastError();
		/* FAT: no hard links, so no spool. */
		if (e == ERROR_INVALID_FUNCTION || e == ERROR_NOT_SUPPORTED) {
			errno = ENOTSUP;
			rc = -1;
		} else
			rc = win_errno(e);
	}
	free(wf);
	free(wt);
	return rc;
}

/* stat() from the attributes: the mode, size and modification time. */
static int
os_stat_wide(const wchar_t *w, struct stat *st)
{
	WIN32_FILE_ATTRIBUTE_DATA fa;
	ULARGE_INTEGER t;

	if (!GetFileAttributesExW(w, GetFileExInfoStandard, &fa))
		return win_errno(GetLastError());
	memset(st, 0, sizeof(*st));
	if (fa.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
		st->st_mode = S_IFDIR | 0700;
	else
		st->st_mode = S_IFREG | (fa.dwFileAttributes &
		    FILE_ATTRIBUTE_READONLY ? 0400 : 0600);
	st->st_nlink = 1;
	st->st_size = (off_t)(((unsigned long long)fa.nFileSizeHigh << 32) |
	    fa.nFileSizeLow);
	t.LowPart = fa.ftLastWriteTime.dwLowDateTime;
	t.HighPart = fa.ftLastWriteTime.dwHighDateTime;
	/* 100 ns ticks since 1601 to seconds since 1970. */
	st->st_mtime = (time_t)(t.QuadPart / 10000000ULL - 11644473600ULL);
	st->st_atime = st->st_ctime = st->st_mtime;
	return 0;
}

int
os_statat(int dfd, const char *name, struct stat *st)
{
	wchar_t *w;
	int rc;

	if ((w = os_join(dfd, name)) == NULL)
		return -1;
	rc = os_stat_wide(w, st);
	free(w);
	return rc;
}

int
os_stat(const char *path, struct stat *st)
{
	return os_lstat(path, st);
}

int
os_lstat(const char *path, struct stat *st)
{
	wchar_t *w;
	int rc;

	if ((w = win_wide(path)) == NULL)
		return -1;
	rc = os_stat_wide(w, st);
	free(w);
	return rc;
}

int
os_fsync(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	if (!FlushFileBuffers(h))
		return win_errno(GetLastError());
	return 0;
}

int
os_writeback_start(int fd)
{
	(void)fd;	/* the cache manager writes behind on its own */
	return 0;
}

int
os_lock(int fd, int how)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	OVERLAPPED ov;
	DWORD flags = LOCKFILE_EXCLUSIVE_LOCK;

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	if (how & OS_LOCK_NB)
		flags |= LOCKFILE_FAIL_IMMEDIATELY;
	/* One byte far past any end of file: the lock excludes the other
	 * lockers and no reader. */
	memset(&ov, 0, sizeof(ov));
	ov.Offset = 0;
	ov.OffsetHigh = 0x7fffffff;
	if (!LockFileEx(h, flags, 0, 1, 0, &ov))
		return win_errno(GetLastError());
	return 0;
}

long long
os_mtime_ns(const struct stat *st)
{
	return (long long)st->st_mtime * 1000000000LL;
}

char *
os_realpath(const char *path)
{
	wchar_t *w, final[MAX_PATH * 4], *p;
	char *u;
	HANDLE h;
	DWORD n;

	if ((w = win_wide(path)) == NULL)
		return NULL;
	/* The handle's final path: every link and junction resolved. */
	h = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		win_errno(GetLastError());
		return NULL;
	}
	n = GetFinalPathNameByHandleW(h, final, sizeof(final) /
	    sizeof(final[0]), FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
	CloseHandle(h);
	if (n == 0 || n >= sizeof(final) / sizeof(final[0])) {
		errno = n == 0 ? EIO : ENAMETOOLONG;
		return NULL;
	}
	p = final;
	if (wcsncmp(p, L"\\\\?\\", 4) == 0)
		p += 4;
	/* Forward slashes: callers join and compare with '/'. */
	for (w = p; *w; w++)
		if (*w == L'\\')
			*w = L'/';
	u = win_utf8(p);
	return u;
}

int
os_fs_readonly(const char *path)
{
	wchar_t *w, root[MAX_PATH];
	DWORD flags;
	int rc = -1;

	if ((w = win_wide(path)) == NULL)
		return -1;
	if (GetVolumePathNameW(w, root, MAX_PATH) &&
	    GetVolumeInformationW(root, NULL, 0, NULL, NULL, &flags, NULL, 0))
		rc = (flags & FILE_READ_ONLY_VOLUME) != 0;
	free(w);
	return rc;
}

/*
 * One read or write of n bytes at offset through the file's handle.  On
 * a handle opened for synchronous I/O Windows moves the file position to
 * the end of the transfer: it is put back, as pread and pwrite leave it.
 */
static ssize_t
os_pio(int fd, void *buf, size_t n, off_t offset, int write)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	LARGE_INTEGER zero, pos;
	OVERLAPPED ov;
	DWORD done = 0, e;
	BOOL ok;

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	zero.QuadPart = 0;
	if (!SetFilePointerEx(h, zero, &pos, FILE_CURRENT))
		return win_errno(GetLastError());
	if (n > 0x7fffffff)
		n = 0x7fffffff;
	memset(&ov, 0, sizeof(ov));
	ov.Offset = (DWORD)((unsigned long long)offset & 0xffffffffU);
	ov.OffsetHigh = (DWORD)((unsigned long long)offset >> 32);
	ok = write ? WriteFile(h, buf, (DWORD)n, &done, &ov) :
	    ReadFile(h, buf, (DWORD)n, &done, &ov);
	e = GetLastError();
	SetFilePointerEx(h, pos, NULL, FILE_BEGIN);
	if (!ok) {
		if (!write && e == ERROR_HANDLE_EOF)
			return 0;
		return win_errno(e);
	}
	return (ssize_t)done;
}

ssize_t
os_pread(int fd, void *buf, size_t n, off_t offset)
{
	return os_pio(fd, buf, n, offset, 0);
}

ssize_t
os_pwrite(int fd, const void *buf, size_t n, off_t offset)
{
	return os_pio(fd, (void *)buf, n, offset, 1);
}

/* The volume and file index of dir/name, through a handle. */
static int
os_file_index(int dfd, const char *name, BY_HANDLE_FILE_INFORMATION *fi)
{
	wchar_t *w;
	HANDLE h;
	int rc = 0;

	if ((w = os_join(dfd, name)) == NULL)
		return -1;
	h = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return win_errno(GetLastError());
	if (!GetFileInformationByHandle(h, fi))
		rc = win_errno(GetLastError());
	CloseHandle(h);
	return rc;
}

int
os_same_file(int adfd, const char *a, int bdfd, const char *b)
{
	BY_HANDLE_FILE_INFORMATION fa, fb;

	if (os_file_index(adfd, a, &fa) == -1 ||
	    os_file_index(bdfd, b, &fb) == -1)
		return -1;
	return fa.dwVolumeSerialNumber == fb.dwVolumeSerialNumber &&
	    fa.nFileIndexHigh == fb.nFileIndexHigh &&
	    fa.nFileIndexLow == fb.nFileIndexLow;
}

int
os_fd_is(int fd, int dfd, const char *name)
{
	BY_HANDLE_FILE_INFORMATION a, b;
	HANDLE h = (HANDLE)_get_osfhandle(fd);

	if (h == INVALID_HANDLE_VALUE) {
		errno = EBADF;
		return -1;
	}
	if (!GetFileInformationByHandle(h, &a))
		return win_errno(GetLastError());
	if (os_file_index(dfd, name, &b) == -1)
		return -1;
	return a.dwVolumeSerialNumber == b.dwVolumeSerialNumber &&
	    a.nFileIndexHigh == b.nFileIndexHigh &&
	    a.nFileIndexLow == b.nFileIndexLow;
}

void
os_set_blocking(int fd)
{
	(void)fd;	/* files are never opened non-blocking here */
}

int
os_rename(const char *from, const char *to)
{
	wchar_t *wf, *wt = NULL;
	int rc = -1;

	if ((wf = win_wide(from)) != NULL && (wt = win_wide(to)) != NULL)
		rc = os_move_wide(wf, wt);
	free(wf);
	free(wt);
	return rc;
}

int
os_fchmod(int fd, mode_t mode)
{
	(void)fd;
	(void)mode;
	return 0;
}

mode_t
os_new_file_mode(void)
{
	return 0666;
}

int
os_path_absolute(const char *path)
{
	if (path[0] == '/' || path[0] == '\\')
		return 1;
	return ((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' &&
	    path[0] <= 'z')) && path[1] == ':' && (path[2] == '/' ||
	    path[2] == '\\');
}

const char *
os_path_last_sep(const char *path)
{
	const char *slash = strrchr(path, '/'), *back = strrchr(path, '\\');

	return slash > back ? slash : back;
}

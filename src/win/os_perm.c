/*
 * os_perm.c (Windows) - whether a file is private, read from its access
 * list (DACL): no entry may let an account other than the file's owner,
 * the user we run as, SYSTEM or the Administrators group read or write
 * its data, or change its permissions (which gives the rest).  SYSTEM
 * and the Administrators can take any file anyway; the user we run as
 * must read the secret, and is the one the fix grants it to, so the fix
 * always ends the complaint.
 *
 * Deny entries are not weighed: a file whose "allow Users" is undone by
 * an earlier "deny Users" is called not private.  The strict answer is
 * the safe one, and such lists are rare.  Needs advapi32.
 *
 * Under Wine (8.0) the list is made up from the Unix mode: SYSTEM and
 * the owner, plus Everyone for the "other" bits; the group bits are not
 * shown, so 0640 is private there and 0644 is "readable by Everyone".
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os_perm.h"

/* The rights that let an account at the data, or give itself them. */
#define OS_PERM_READ	(FILE_READ_DATA | GENERIC_READ | GENERIC_ALL)
#define OS_PERM_WRITE	(FILE_WRITE_DATA | FILE_APPEND_DATA | \
			 GENERIC_WRITE | GENERIC_ALL)
#define OS_PERM_CONTROL	(WRITE_DAC | WRITE_OWNER)

/* Accounts named in the fix's /remove:g; more are left for the next
 * run to name, after this fix. */
#define OS_PERM_OTHERS_MAX	8
/* An account's name, DOMAIN\user in UTF-8, or its SID as text. */
#define OS_PERM_NAME_MAX	1024

struct os_perm_other {
	PSID	 sid;		/* points into the security descriptor */
	DWORD	 mask;		/* the rights of all its entries */
	int	 own;		/* an entry is the file's own, not inherited */
};

/* A growing NUL-terminated text in a fixed buffer; full once it did not
 * fit, so one check at the end tells. */
struct os_perm_text {
	char	*s;
	size_t	 size;
	size_t	 len;
	int	 full;
};

static int
os_perm_errno(DWORD e)
{
	switch (e) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_DRIVE:
	case ERROR_BAD_NETPATH:
	case ERROR_BAD_NET_NAME:
		return ENOENT;
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION:
	case ERROR_PRIVILEGE_NOT_HELD:
		return EACCES;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return ENOMEM;
	case ERROR_FILENAME_EXCED_RANGE:
		return ENAMETOOLONG;
	case ERROR_INVALID_NAME:
	case ERROR_BAD_PATHNAME:
		return EINVAL;
	case ERROR_NO_UNICODE_TRANSLATION:
		return EILSEQ;
	default:
		return EIO;
	}
}

static void
os_perm_add(struct os_perm_text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->full || n >= t->size - t->len) {
		t->full = 1;
		return;
	}
	memcpy(t->s + t->len, s, n + 1);
	t->len += n;
}

/* Appends w, as UTF-8. */
static void
os_perm_addw(struct os_perm_text *t, const wchar_t *w)
{
	size_t room = t->size - t->len;
	int n;

	if (t->full || room == 0 || room > INT_MAX) {
		t->full = 1;
		return;
	}
	n = WideCharToMultiByte(CP_UTF8, 0, w, -1, t->s + t->len, (int)room,
	    NULL, NULL);
	if (n == 0) {
		t->s[t->len] = '\0';
		t->full = 1;
		return;
	}
	t->len += (size_t)n - 1;
}

/*
 * The account's name as icacls takes it, DOMAIN\user (or user where
 * there is no domain, as Everyone), else its SID as text when no name is
 * found (a deleted account; no domain controller to ask).
 */
static void
os_perm_account(struct os_perm_text *t, PSID sid)
{
	wchar_t name[256], domain[256];
	wchar_t *text = NULL;
	DWORD nname = 256, ndomain = 256;
	SID_NAME_USE use;

	if (LookupAccountSidW(NULL, sid, name, &nname, domain, &ndomain,
	    &use)) {
		if (domain[0] != L'\0') {
			os_perm_addw(t, domain);
			os_perm_add(t, "\\");
		}
		os_perm_addw(t, name);
	} else if (ConvertSidToStringSidW(sid, &text)) {
		os_perm_addw(t, text);
		LocalFree(text);
	} else
		t->full = 1;
}

/* The SID of the user we run as, in *sid (free() it).  0, or -1. */
static int
os_perm_me(PSID *sid)
{
	HANDLE tok = NULL;
	TOKEN_USER *tu = NULL;
	DWORD n = 0, len;
	int rv = -1;

	*sid = NULL;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		goto out;
	(void)GetTokenInformation(tok, TokenUser, NULL, 0, &n);
	if (n == 0 || (tu = malloc(n)) == NULL)
		goto out;
	if (!GetTokenInformation(tok, TokenUser, tu, n, &n))
		goto out;
	len = GetLengthSid(tu->User.Sid);
	if ((*sid = malloc(len)) == NULL)
		goto out;
	if (!CopySid(len, *sid, tu->User.Sid)) {
		free(*sid);
		*sid = NULL;
		goto out;
	}
	rv = 0;
out:
	free(tu);
	if (tok != NULL)
		CloseHandle(tok);
	return rv;
}

static int
os_perm_trusted(PSID sid, PSID owner, PSID me)
{
	return (owner != NULL && EqualSid(sid, owner)) ||
	    (me != NULL && EqualSid(sid, me)) ||
	    IsWellKnownSid(sid, WinLocalSystemSid) ||
	    IsWellKnownSid(sid, WinBuiltinAdministratorsSid) ||
	    /* OWNER RIGHTS: whoever owns it, the owner by another name. */
	    IsWellKnownSid(sid, WinCreatorOwnerRightsSid);
}

/*
 * Records the untrusted accounts the DACL gives rights to, each once, in
 * o (at most OS_PERM_OTHERS_MAX); returns how many there are in all.
 */
static int
os_perm_others(PACL dacl, PSID owner, PSID me, struct os_perm_other *o)
{
	ACL_SIZE_INFORMATION info;
	ACE_HEADER *h;
	ACCESS_ALLOWED_ACE *a;
	PSID sid;
	DWORD i;
	int j, n = 0, more = 0;

	if (!GetAclInformation(dacl, &info, sizeof(info), AclSizeInformation))
		return -1;
	for (i = 0; i < info.AceCount; i++) {
		if (!GetAce(dacl, i, (void **)&h))
			return -1;
		/* Only for what is created inside it (a directory's). */
		if (h->AceFlags & INHERIT_ONLY_ACE)
			continue;
		/* The callback type has the same layout; its condition is
		 * not ours to evaluate, so it counts as granted. */
		if (h->AceType != ACCESS_ALLOWED_ACE_TYPE &&
		    h->AceType != ACCESS_ALLOWED_CALLBACK_ACE_TYPE)
			continue;
		a = (ACCESS_ALLOWED_ACE *)h;
		if ((a->Mask & (OS_PERM_READ | OS_PERM_WRITE |
		    OS_PERM_CONTROL)) == 0)
			continue;
		sid = (PSID)&a->SidStart;
		if (os_perm_trusted(sid, owner, me))
			continue;
		for (j = 0; j < n; j++)
			if (EqualSid(sid, o[j].sid))
				break;
		if (j == n && n == OS_PERM_OTHERS_MAX) {
			more++;
			continue;
		}
		if (j == n) {
			o[n].sid = sid;
			o[n].mask = 0;
			o[n].own = 0;
			n++;
		}
		o[j].mask |= a->Mask;
		if (!(h->AceFlags & INHERITED_ACE))
			o[j].own = 1;
	}
	return n + more;
}

/* why: what the first account may do, and how many more there are. */
static void
os_perm_why(struct os_perm_text *t, const struct os_perm_other *o,
    int nothers)
{
	char more[64];
	int rd = (o->mask & OS_PERM_READ) != 0;
	int wr = (o->mask & OS_PERM_WRITE) != 0;

	if (rd && wr)
		os_perm_add(t, "readable and writable by ");
	else if (rd)
		os_perm_add(t, "readable by ");
	else if (wr)
		os_perm_add(t, "writable by ");
	else
		os_perm_add(t, "open to a change of its permissions by ");
	os_perm_account(t, o->sid);
	if (nothers > 1) {
		(void)snprintf(more, sizeof(more), " (and open to %d other "
		    "account%s)", nothers - 1, nothers > 2 ? "s" : "");
		more[sizeof(more) - 1] = '\0';
		os_perm_add(t, more);
	}
}

/*
 * fix: the icacls line that leaves the user we run as alone with the
 * file (beside SYSTEM and the Administrators, which keep what they can
 * take anyway): no inherited entries, full control for us, and the
 * file's own entries for the others removed (/inheritance:r keeps
 * those).
 */
static void
os_perm_fix(struct os_perm_text *t, const wchar_t *wpath, PSID me,
    const struct os_perm_other *o, int n)
{
	char buf[OS_PERM_NAME_MAX];
	struct os_perm_text name = { buf, sizeof(buf), 0, 0 };
	wchar_t *full = NULL, *text;
	DWORD len;
	int i;

	/* The full path: the fix may be run from another directory. */
	len = GetFullPathNameW(wpath, 0, NULL, NULL);
	if (len > 0 && (full = malloc(len * sizeof(*full))) != NULL &&
	    GetFullPathNameW(wpath, len, full, NULL) + 1 == len)
		wpath = full;
	os_perm_add(t, "icacls \"");
	os_perm_addw(t, wpath);
	os_perm_add(t, "\" /inheritance:r /grant:r ");
	os_perm_account(&name, me);
	if (name.full)
		t->full = 1;
	/* icacls takes "NT AUTHORITY\LOCAL SERVICE:F" as one argument
	 * only when quoted. */
	else if (strchr(name.s, ' ') != NULL) {
		os_perm_add(t, "\"");
		os_perm_add(t, name.s);
		os_perm_add(t, ":F\"");
	} else {
		os_perm_add(t, name.s);
		os_perm_add(t, ":F");
	}
	for (i = 0; i < n; i++) {
		if (!o[i].own)
			continue;
		if (!ConvertSidToStringSidW(o[i].sid, &text)) {
			t->full = 1;
			break;
		}
		/* By SID: never ambiguous, never in need of quotes. */
		os_perm_add(t, " /remove:g *");
		os_perm_addw(t, text);
		LocalFree(text);
	}
	free(full);
}

int
os_perm_private(const char *path, char *why, size_t whysize, char *fix,
    size_t fixsize)
{
	struct os_perm_other others[OS_PERM_OTHERS_MAX];
	struct os_perm_text w = { why, whysize, 0, 0 };
	struct os_perm_text f = { fix, fixsize, 0, 0 };
	PSECURITY_DESCRIPTOR sd = NULL;
	PSID owner = NULL, me = NULL;
	PACL dacl = NULL;
	wchar_t *wpath = NULL;
	DWORD e;
	int n, nothers = 0, rv = -1;

	if (whysize > 0)
		why[0] = '\0';
	if (fixsize > 0)
		fix[0] = '\0';
	n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1,
	    NULL, 0);
	if (n == 0) {
		errno = os_perm_errno(GetLastError());
		goto out;
	}
	if ((wpath = malloc((size_t)n * sizeof(*wpath))) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	(void)MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1,
	    wpath, n);
	/* Reading the owner and the DACL needs READ_CONTROL only, which
	 * the owner always has. */
	e = GetNamedSecurityInfoW(wpath, SE_FILE_OBJECT,
	    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
	    NULL, &dacl, NULL, &sd);
	if (e != ERROR_SUCCESS) {
		errno = os_perm_errno(e);
		goto out;
	}
	if (os_perm_me(&me) == -1) {
		errno = os_perm_errno(GetLastError());
		goto out;
	}
	if (dacl != NULL) {
		if ((nothers = os_perm_others(dacl, owner, me, others)) == -1) {
			errno = os_perm_errno(GetLastError());
			goto out;
		}
		if (nothers == 0) {
			rv = 0;
			goto out;
		}
		os_perm_why(&w, &others[0], nothers);
	} else {
		/* A NULL DACL grants everyone everything (FAT, or set so). */
		os_perm_add(&w, "open to everyone (it has no access list)");
	}
	os_perm_fix(&f, wpath, me, others, nothers < OS_PERM_OTHERS_MAX ?
	    nothers : OS_PERM_OTHERS_MAX);
	if (w.full || f.full) {
		errno = ERANGE;
		goto out;
	}
	rv = 1;
out:
	if (rv == -1) {
		if (whysize > 0)
			why[0] = '\0';
		if (fixsize > 0)
			fix[0] = '\0';
	}
	free(me);
	free(wpath);
	if (sd != NULL)
		LocalFree(sd);
	return rv;
}

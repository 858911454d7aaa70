/*
 * spool_check.c - whether the spool is private (spool.h: spool_check):
 * the modes and owners of its directories and of the files at its top,
 * each problem told with its fix, naming the paths; with SPOOL_CHECK_FIX
 * the modes are made private instead.  The commands call it once, at
 * their start (main.c); check and status say what it finds.
 */
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "spool.h"

/*
 * What must be private in a spool: it holds the reports, their recipients
 * and the delivery state.  "" is the directory itself; state.db is db.h's
 * DB_STATE_FILE, send.lock send.c's lock.
 */
static const struct {
	const char	*name;
	int		 is_dir;
} spool_private[] = {
	{ "", 1 }, { "tmp", 1 }, { "queue", 1 }, { "failed", 1 },
	{ "state.db", 0 }, { "state.db-journal", 0 },
	/* A state database of an earlier version, in WAL mode. */
	{ "state.db-wal", 0 }, { "state.db-shm", 0 },
	{ "send.lock", 0 }
};

/* "name (uid N)", or "uid N" for a uid /etc/passwd does not know. */
static void
spool_user(uid_t uid, char *desc, size_t dsize, char *name, size_t nsize)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL) {
		snprintf(desc, dsize, "%s (uid %lu)", pw->pw_name,
		    (unsigned long)uid);
		snprintf(name, nsize, "%s", pw->pw_name);
	} else {
		snprintf(desc, dsize, "uid %lu", (unsigned long)uid);
		snprintf(name, nsize, "%lu", (unsigned long)uid);
	}
}

/* The owner problem: what to do depends on who runs and who owns. */
static void
spool_tell_owner(const char *dir, const char *first, int top, int more,
    uid_t found, uid_t owner, spool_problem_fn *fn, void *ctx)
{
	char fdesc[160], fname[64], odesc[160], oname[64];
	struct buf problem, fix;

	buf_init(&problem, 8192);
	buf_init(&fix, 8192);
	spool_user(found, fdesc, sizeof(fdesc), fname, sizeof(fname));
	spool_user(owner, odesc, sizeof(odesc), oname, sizeof(oname));
	buf_printf(&problem, "%s is owned by %s, not by %s, %s", first, fdesc,
	    odesc, owner == geteuid() ? "which runs this command" :
	    "the user the commands run as");
	if (more)
		buf_printf(&problem, " (and %d more in the spool)", more);
	if (owner != geteuid())
		buf_printf(&fix, "run sendreports initdb --owner %s", oname);
	else if (top && owner == 0)
		buf_printf(&fix, "set [run] user = %s in the configuration, "
		    "or run sendreports as %s (initdb: --owner %s)", fname,
		    fname, fname);
	else if (top)
		buf_printf(&fix, "run sendreports as %s, or give the spool to "
		    "%s: sendreports initdb --owner %s, as root", fname,
		    oname, oname);
	else if (owner == 0)
		buf_printf(&fix, "chown -R root %s", dir);
	else
		buf_printf(&fix, "give the spool back to %s: sendreports "
		    "initdb --owner %s, as root", oname, oname);
	fn(ctx, problem.data, fix.data);
	buf_release(&problem);
	buf_release(&fix);
}

int
spool_check(const char *dir, uid_t owner, int flags, spool_problem_fn *fn,
    void *ctx)
{
	struct buf path, open_list, dirs, files, fix, first;
	struct stat st;
	size_t i;
	uid_t found = 0;
	int dfd = -1, n = 0, foreign = 0, first_top = 0;
	mode_t want;

	buf_init(&path, PATH_MAX);
	buf_init(&open_list, 8192);
	buf_init(&dirs, 8192);
	buf_init(&files, 8192);
	buf_init(&fix, 8192);
	buf_init(&first, PATH_MAX);
	/* Not there, or not this user's to see: the command will say. */
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		goto out;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < sizeof(spool_private) / sizeof(spool_private[0]);
	    i++) {
		const char *name = spool_private[i].name;

		if (i > 0 && (dfd == -1 || fstatat(dfd, name, &st, 0) == -1))
			continue;
		buf_reset(&path);
		if (buf_printf(&path, i > 0 ? "%s/%s" : "%s%s", dir,
		    name) == -1)
			continue;
		if ((flags & SPOOL_CHECK_OWNER) && st.st_uid != owner &&
		    foreign++ == 0) {
			buf_puts(&first, path.data);
			first_top = i == 0;
			found = st.st_uid;
		}
		if ((st.st_mode & 077) == 0)
			continue;
		want = spool_private[i].is_dir ? 0700 : 0600;
		if ((flags & SPOOL_CHECK_FIX) && (i == 0 ? chmod(dir, want) :
		    fchmodat(dfd, name, want, 0)) == 0) {
			log_info("spool: %s: mode %04o made %04o", path.data,
			    (unsigned)(st.st_mode & 07777), (unsigned)want);
			continue;
		}
		buf_printf(&open_list, "%s%s (mode %04o)", open_list.len ?
		    ", " : "", path.data, (unsigned)(st.st_mode & 07777));
		buf_printf(spool_private[i].is_dir ? &dirs : &files, " %s",
		    path.data);
	}
	if (foreign) {
		spool_tell_owner(dir, first.data, first_top, foreign - 1,
		    found, owner, fn, ctx);
		n++;
	}
	if (open_list.len) {
		buf_reset(&path);
		buf_printf(&path, "the spool is open to other users (it holds "
		    "the reports, their recipients and the delivery state): "
		    "%s", open_list.data);
		if (dirs.len)
			buf_printf(&fix, "chmod 700%s", dirs.data);
		if (files.len)
			buf_printf(&fix, "%schmod 600%s", dirs.len ? "; " : "",
			    files.data);
		buf_puts(&fix, " (sendreports initdb does it)");
		fn(ctx, path.data, fix.data);
		n++;
	}
out:
	if (dfd != -1)
		close(dfd);
	buf_release(&path);
	buf_release(&open_list);
	buf_release(&dirs);
	buf_release(&files);
	buf_release(&fix);
	buf_release(&first);
	return n;
}

/*
 * test_spool.c - the spool: durable commit, no replacement, locks, the
 * envelope format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

static char root[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/test_spool.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void
open_spool(struct spool *s)
{
	char dir[128];
	struct buf err;

	buf_init(&err, 4096);
	snprintf(dir, sizeof(dir), "%s/spool", root);
	if (spool_open(s, dir, 1, &err) == -1)
		fail_msg("%s", err.data);
	buf_release(&err);
}

static int
count_entries(const char *sub)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s/spool/%s' | wc -l", root, sub);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void
test_spool_open_creates_private_directories(void **state)
{
	static const char *subs[] = { "", "/tmp", "/queue", "/failed" };
	struct spool s;
	struct stat st;
	char path[256];
	size_t i;

	(void)state;
	open_spool(&s);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/spool%s", root, subs[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
	}
	spool_close(&s);
	spool_close(&s);
}

static void
test_spool_commit_once_then_exists(void **state)
{
	char r1[] = "a@example.com", r2[] = "b@example.com";
	char occ[] = "2026-11-23 08:00:00", id[] = "<r7.x@example.com>";
	char created[] = "2026-11-23 08:00:05", sender[] = "r@example.com";
	char *rcpts[] = { r1, r2 };
	struct spool_envelope env = { 7, occ, id, created, sender, rcpts, 2 };
	struct spool_envelope back;
	struct spool_file f;
	struct spool s;
	struct buf err;
	struct stat st;
	char path[256], body[64];
	off_t off;
	ssize_t n;
	int fd, i;

	(void)state;
	buf_init(&err, 4096);
	open_spool(&s);
	for (i = 0; i < 2; i++) {
		assert_int_equal(spool_file_create(&s, &f, &err), 0);
		assert_int_equal(spool_write_envelope(f.fp, &env), 0);
		fputs(i ? "Second\r\n" : "Subject: x\r\n\r\nbody\r\n", f.fp);
		assert_int_equal(spool_commit(&s, &f, "r7.20261123T080000Z",
		    &err), i == 0 ? SPOOL_COMMITTED : SPOOL_EXISTS);
	}
	/* The first message stays; no temporary is left behind. */
	assert_int_equal(count_entries("tmp"), 0);
	assert_int_equal(count_entries("queue"), 1);
	snprintf(path, sizeof(path), "%s/spool/queue/r7.20261123T080000Z",
	    root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(spool_read_envelope(fd, &back, &off, &err), 0);
	assert_int_equal(back.report_id, 7);
	assert_string_equal(back.occurrence, env.occurrence);
	assert_string_equal(back.message_id, env.message_id);
	assert_string_equal(back.sender, "r@example.com");
	assert_int_equal(back.nrcpts, 2);
	assert_string_equal(back.rcpts[1], "b@example.com");
	assert_int_equal(lseek(fd, off, SEEK_SET), off);
	n = read(fd, body, sizeof(body) - 1);
	assert_true(n > 0);
	body[n] = '\0';
	assert_string_equal(body, "Subject: x\r\n\r\nbody\r\n");
	close(fd);
	spool_envelope_release(&back);
	spool_envelope_release(&back);
	spool_close(&s);
	buf_release(&err);
}

/*
 * The spool lends its one buffer to a file at a time: a second file
 * written meanwhile has its own, and both come out whole; the next file
 * has the spool's again.
 */
static void
test_spool_two_files_at_once_each_whole(void **state)
{
	struct spool_file a, b, c;
	struct spool s;
	struct buf err;
	char path[256], got[64];
	FILE *fp;
	int i, queued;

	(void)state;
	buf_init(&err, 4096);
	open_spool(&s);
	queued = count_entries("queue");
	assert_int_equal(spool_file_create(&s, &a, &err), 0);
	assert_int_equal(spool_file_create(&s, &b, &err), 0);
	assert_non_null(a.iobuf);
	assert_non_null(b.iobuf);
	assert_ptr_not_equal(a.iobuf, b.iobuf);
	for (i = 0; i < 3; i++) {
		fputs("a-line\n", a.fp);
		fputs("b-line\n", b.fp);
	}
	assert_int_equal(spool_commit(&s, &a, "ra", &err), SPOOL_COMMITTED);
	assert_int_equal(spool_file_create(&s, &c, &err), 0);
	assert_ptr_equal(c.iobuf, s.iobuf);	/* given back, lent again */
	fputs("c-line\n", c.fp);
	assert_int_equal(spool_commit(&s, &b, "rb", &err), SPOOL_COMMITTED);
	spool_file_discard(&s, &c);
	assert_int_equal(count_entries("tmp"), 0);
	assert_int_equal(count_entries("queue"), queued + 2);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/spool/queue/r%c", root,
		    "ab"[i]);
		fp = fopen(path, "r");
		assert_non_null(fp);
		got[fread(got, 1, sizeof(got) - 1, fp)] = '\0';
		fclose(fp);
		assert_string_equal(got, i ? "b-line\nb-line\nb-line\n" :
		    "a-line\na-line\na-line\n");
	}
	spool_close(&s);
	buf_release(&err);
}

/*
 * Sealed, then linked later: the file waits in tmp/ (not in queue/) with
 * its Length filled in; linked, it is in queue/ and tmp/ is empty; a
 * name taken is SPOOL_EXISTS and keeps the first file; a sealed file
 * discarded leaves nothing.
 */
static void
test_spool_seal_then_link(void **state)
{
	char occ[] = "2026-11-23 08:00:00", id[] = "<r9.x@example.com>";
	char created[] = "2026-11-23 08:00:05", sender[] = "r@example.com";
	char rcpt[] = "a@example.com", *rcpts[] = { rcpt };
	struct spool_envelope env = { 9, occ, id, created, sender, rcpts, 1 };
	struct spool_envelope back;
	struct spool_file f[3];
	struct spool s;
	struct buf err;
	char tmp[3][SPOOL_NAME_MAX], path[256];
	int fd[3], i, queued, rfd;
	off_t off;

	(void)state;
	buf_init(&err, 4096);
	open_spool(&s);
	queued = count_entries("queue");
	for (i = 0; i < 3; i++) {
		assert_int_equal(spool_file_create(&s, &f[i], &err), 0);
		assert_int_equal(spool_write_envelope(f[i].fp, &env), 0);
		fprintf(f[i].fp, "Subject: %d\r\n\r\nbody\r\n", i);
		assert_int_equal(spool_seal(&s, &f[i], "r9.seal", &fd[i],
		    &err), 0);
		assert_null(f[i].fp);
		assert_null(f[i].iobuf);
		assert_true(fd[i] >= 0);
		snprintf(tmp[i], sizeof(tmp[i]), "%s", f[i].tmpname);
	}
	assert_int_equal(count_entries("tmp"), 3);
	assert_int_equal(count_entries("queue"), queued);
	assert_int_equal(spool_link_sealed(&s, fd[0], tmp[0], "r9.seal",
	    &err), SPOOL_COMMITTED);
	assert_int_equal(spool_link_sealed(&s, fd[1], tmp[1], "r9.seal",
	    &err), SPOOL_EXISTS);
	spool_sealed_discard(&s, fd[2], tmp[2]);
	assert_int_equal(spool_sync_queue(&s, &err), 0);
	assert_int_equal(count_entries("tmp"), 0);
	assert_int_equal(count_entries("queue"), queued + 1);
	/* The first one, whole: its Length is its size. */
	snprintf(path, sizeof(path), "%s/spool/queue/r9.seal", root);
	rfd = open(path, O_RDONLY);
	assert_true(rfd >= 0);
	assert_int_equal(spool_read_envelope(rfd, &back, &off, &err), 0);
	assert_int_equal(back.report_id, 9);
	spool_envelope_release(&back);
	close(rfd);
	spool_close(&s);
	buf_release(&err);
}

static void
test_spool_read_envelope_refuses_bad_files(void **state)
{
	static const char *bad[] = {
		"",
		"SENDREPORTS-SPOOL 1\r\nSender: a@b\r\n",	/* no end */
		"SENDREPORTS-SPOOL 9\r\nSender: a@b\r\n\r\n",
		"SENDREPORTS-SPOOL 1\r\nMessage-Id: <x>\r\n\r\n",
		"SENDREPORTS-SPOOL 1\r\nReport-Id: 12x\r\n\r\n",
		"SENDREPORTS-SPOOL 1\r\ngarbage\r\n\r\n",
		/* Found by fuzz_spool and the damaged-queue tests: a bare
		 * LF or other control character in a field (it would reach
		 * RCPT TO, the log and failed/'s .reason), and an envelope
		 * with no message after it. */
		"SENDREPORTS-SPOOL 1\r\nMessage-Id: <x@y>\r\nSender: a@b\r\n"
		    "Recipient: c@d\nRCPT TO:<e@f>\r\n\r\nmessage\r\n",
		"SENDREPORTS-SPOOL 1\r\nMessage-Id: <x@y>\r\nSender: a\x1b@b"
		    "\r\nRecipient: c@d\r\n\r\nmessage\r\n",
		"SENDREPORTS-SPOOL 1\r\ngarbage\nmore\r\n\r\n",
		"SENDREPORTS-SPOOL 1\r\nMessage-Id: <x@y>\r\nSender: a@b\r\n"
		    "Recipient: c@d\r\n\r\n",
		"SENDREPORTS-SPOOL 1\r\nLength: 12x\r\nMessage-Id: <x@y>\r\n"
		    "Sender: a@b\r\nRecipient: c@d\r\n\r\nmessage\r\n",
	};
	struct spool_envelope e;
	struct buf err;
	size_t i;
	off_t off;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *fp = tmpfile();

		assert_non_null(fp);
		fputs(bad[i], fp);
		fflush(fp);
		buf_init(&err, 4096);
		if (spool_read_envelope(fileno(fp), &e, &off, &err) != -1)
			fail_msg("case %zu accepted", i);
		assert_true(err.len > 0);
		/* One line: it goes to the log and failed/'s .reason. */
		assert_null(strpbrk(err.data, "\r\n"));
		buf_release(&err);
		fclose(fp);
	}
}

/*
 * The Length spool_commit() fills in: a file cut short anywhere, or one
 * that grew, is refused, so flush never sends half a message; the same
 * message with a NUL in its body is read (only the envelope is checked).
 */
static void
test_spool_read_envelope_refuses_a_truncated_message(void **state)
{
	char r1[] = "a@example.com", id[] = "<r7.x@example.com>";
	char created[] = "2026-11-23 08:00:05", sender[] = "r@example.com";
	char *rcpts[] = { r1 };
	struct spool_envelope env = { 7, NULL, id, created, sender, rcpts, 1 };
	struct spool_envelope back;
	struct spool_file f;
	struct spool s;
	struct buf err;
	struct stat st;
	char path[256];
	off_t off, size;
	int fd;

	(void)state;
	buf_init(&err, 4096);
	open_spool(&s);
	assert_int_equal(spool_file_create(&s, &f, &err), 0);
	assert_int_equal(spool_write_envelope(f.fp, &env), 0);
	fputs("Subject: x\r\n\r\nbody", f.fp);
	fputc('\0', f.fp);
	fputs("more\r\n", f.fp);
	assert_int_equal(spool_commit(&s, &f, "r7.trunc", &err),
	    SPOOL_COMMITTED);
	snprintf(path, sizeof(path), "%s/spool/queue/r7.trunc", root);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	size = st.st_size;
	assert_int_equal(spool_read_envelope(fd, &back, &off, &err), 0);
	spool_envelope_release(&back);
	/* Cut anywhere in the message: refused with the reason. */
	for (; size > off; size -= 7) {
		assert_int_equal(ftruncate(fd, size - 1), 0);
		buf_reset(&err);
		assert_int_equal(spool_read_envelope(fd, &back, &off, &err),
		    -1);
		assert_non_null(strstr(err.data, "truncated message"));
	}
	/* Longer than it was written: refused too. */
	assert_int_equal(ftruncate(fd, st.st_size + 1), 0);
	buf_reset(&err);
	assert_int_equal(spool_read_envelope(fd, &back, &off, &err), -1);
	assert_non_null(strstr(err.data, "longer"));
	close(fd);
	spool_close(&s);
	buf_release(&err);
}

static void
test_spool_lock_is_exclusive_and_tmp_cleaned(void **state)
{
	struct spool s, s2;
	struct spool_file f;
	struct buf err;
	int fd;

	(void)state;
	buf_init(&err, 4096);
	open_spool(&s);
	open_spool(&s2);
	fd = spool_lock(&s, "test.lock", &err);
	assert_true(fd >= 0);
	assert_int_equal(spool_lock(&s2, "test.lock", &err), -2);
	close(fd);
	fd = spool_lock(&s2, "test.lock", &err);
	assert_true(fd >= 0);
	close(fd);

	/* A crashed writer leaves its temporary; the next run removes it. */
	assert_int_equal(spool_file_create(&s, &f, &err), 0);
	fputs("partial", f.fp);
	fclose(f.fp);		/* its buffer is the spool's: spool_close frees it */
	assert_int_equal(count_entries("tmp"), 1);
	assert_int_equal(spool_clean_tmp(&s, &err), 1);
	assert_int_equal(count_entries("tmp"), 0);
	spool_close(&s);
	spool_close(&s2);
	buf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool_open_creates_private_directories),
		cmocka_unit_test(test_spool_commit_once_then_exists),
		cmocka_unit_test(test_spool_two_files_at_once_each_whole),
		cmocka_unit_test(test_spool_seal_then_link),
		cmocka_unit_test(test_spool_read_envelope_refuses_bad_files),
		cmocka_unit_test(
		    test_spool_read_envelope_refuses_a_truncated_message),
		cmocka_unit_test(test_spool_lock_is_exclusive_and_tmp_cleaned),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

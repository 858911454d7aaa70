/*
 * durable.c - the disk's bound for one durable file each: writes COUNT
 * files of SIZE bytes into DIR, each one the way a careful spool commits
 * a message and nothing more:
 *
 *	open(tmp, O_CREAT|O_EXCL) + write + fsync + close
 *	rename(tmp, final) + fsync(DIR)
 *
 *	durable DIR COUNT SIZE [BATCH]
 *
 * No MIME, no database, no PDF: what is left is the file system's and the
 * disk's cost of one durable file, the figure `send` is compared against.
 *
 * With BATCH > 1, fsync(DIR) comes once per BATCH files (and after the
 * last): group commit's ceiling, the best a spool can do that still
 * syncs each file, as one must that never loses a message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
fail(const char *what, const char *name)
{
	fprintf(stderr, "durable: %s %s: %s\n", what, name, strerror(errno));
	return 1;
}

int
main(int argc, char **argv)
{
	char tmp[64], final[64], *data;
	long count, size, batch = 1, i, k;
	int dirfd, fd;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: durable DIR COUNT SIZE [BATCH]\n");
		return 2;
	}
	count = strtol(argv[2], NULL, 10);
	size = strtol(argv[3], NULL, 10);
	if (argc == 5)
		batch = strtol(argv[4], NULL, 10);
	if (count < 1 || size < 1 || batch < 1 ||
	    (data = malloc(size)) == NULL)
		return 2;
	/* Base64-like text, as a spooled message is. */
	for (k = 0; k < size; k++)
		data[k] = (k % 78 == 77) ? '\n' : "ABCDEFGHabcdefgh0123+/"[
		    (k * 7 + k / 13) % 22];
	if ((dirfd = open(argv[1], O_RDONLY | O_DIRECTORY)) == -1)
		return fail("open", argv[1]);
	for (i = 0; i < count; i++) {
		snprintf(tmp, sizeof(tmp), "tmp.%ld", i);
		snprintf(final, sizeof(final), "msg.%ld", i);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd == -1)
			return fail("open", tmp);
		for (k = 0; k < size; ) {
			ssize_t w = write(fd, data + k, size - k);

			if (w == -1)
				return fail("write", tmp);
			k += w;
		}
		if (fsync(fd) == -1)
			return fail("fsync", tmp);
		if (close(fd) == -1)
			return fail("close", tmp);
		if (renameat(dirfd, tmp, dirfd, final) == -1)
			return fail("rename", tmp);
		if (((i + 1) % batch == 0 || i + 1 == count) &&
		    fsync(dirfd) == -1)
			return fail("fsync", argv[1]);
	}
	free(data);
	return 0;
}

/*
 * fileid.h - what tells one file from another that took its place.
 *
 * The sync job renames fresh copies over the reports database, and the
 * file system readily gives a new file the inode number the replaced one
 * just freed.  The device and inode numbers are therefore not enough:
 * the file's birth time, where the kernel and file system know it (statx
 * STATX_BTIME: ext4, btrfs, xfs, tmpfs since Linux 4.11-5.x), tells a
 * reused inode number from the file that had it.
 */
#ifndef SENDREPORTS_FILEID_H
#define SENDREPORTS_FILEID_H

#include <stddef.h>

#define FILEID_MAX	64

/*
 * Writes the identity of the file at path into out ("dev:ino" and, when
 * known, ":birth-seconds.nanoseconds").  Returns 0, or -1 with errno set
 * (out is then "").
 */
int	fileid_of(const char *path, char *out, size_t size);

#endif

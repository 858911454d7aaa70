/*
 * os_libc.h - the few POSIX 2008 and BSD functions the program uses that
 * Windows' C library lacks, declared there and defined by
 * src/win/os_libc.c; on POSIX systems the C library's own (this header
 * then declares nothing).  Include it where they are called.
 */
#ifndef SENDREPORTS_OS_LIBC_H
#define SENDREPORTS_OS_LIBC_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef _WIN32
char	*strndup(const char *s, size_t n);
void	*reallocarray(void *p, size_t n, size_t size);
ssize_t	 getline(char **line, size_t *cap, FILE *fp);
void	 explicit_bzero(void *p, size_t n);
/* Windows has no symbolic links the program reads: -1, EINVAL. */
ssize_t	 readlink(const char *path, char *buf, size_t size);
#endif

#endif

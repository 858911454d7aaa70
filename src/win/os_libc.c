/*
 * os_libc.c (Windows) - os_libc.h: what POSIX 2008 and the BSDs give and
 * Windows' C library does not, as they define it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "os_libc.h"
#include "os_win.h"

char *
strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d;

	if ((d = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void *
reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n * size);
}

ssize_t
getline(char **line, size_t *cap, FILE *fp)
{
	size_t len = 0;
	char *grown;
	int c;

	if (*line == NULL || *cap == 0) {
		*cap = 128;
		if ((*line = realloc(*line, *cap)) == NULL)
			return -1;
	}
	while ((c = getc(fp)) != EOF) {
		if (len + 2 > *cap) {
			if (*cap > SIZE_MAX / 2) {
				errno = EOVERFLOW;
				return -1;
			}
			if ((grown = realloc(*line, *cap * 2)) == NULL)
				return -1;
			*line = grown;
			*cap *= 2;
		}
		(*line)[len++] = (char)c;
		if (c == '\n')
			break;
	}
	(*line)[len] = '\0';
	return len == 0 ? -1 : (ssize_t)len;
}

void
explicit_bzero(void *p, size_t n)
{
	SecureZeroMemory(p, n);
}

ssize_t
readlink(const char *path, char *buf, size_t size)
{
	(void)path;
	(void)buf;
	(void)size;
	errno = EINVAL;
	return -1;
}

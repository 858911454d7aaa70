/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz/ share: a check that
 * aborts (so that libFuzzer keeps the input as a crash), a NUL-terminated
 * copy of the input, and a memory file holding bytes.
 *
 * Each target is one fuzz_<name>.c defining LLVMFuzzerTestOneInput; the
 * Makefile's fuzzing section builds them with clang against the library
 * compiled with -fsanitize=fuzzer-no-link,address,undefined.
 */
#ifndef SENDREPORTS_FUZZ_H
#define SENDREPORTS_FUZZ_H

/* memfd_create(); included before anything else by every target. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant that must hold whatever the input: abort, with why. */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz: %s:%d: %s: ", __FILE__, __LINE__,	\
		    #cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* A NUL-terminated copy of the n bytes at p (which may hold NULs). */
static inline char *
fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * Splits the input at its NUL bytes: field i of at most max, each a
 * NUL-terminated string pointing into the copy *buf (caller frees).
 * Returns the number of fields found; the rest are "".
 */
static inline size_t
fuzz_fields(const uint8_t *data, size_t size, char **buf, const char **f,
    size_t max)
{
	char *s = fuzz_strndup(data, size), *p = s, *end = s + size;
	size_t n = 0, i;

	for (i = 0; i < max; i++)
		f[i] = "";
	while (n < max) {
		f[n++] = p;
		p += strlen(p);
		if (p >= end)
			break;
		p++;
	}
	*buf = s;
	return n;
}

/*
 * A memory file holding the n bytes at p, at offset 0; -1 on failure
 * (then the target skips the input).  The same descriptor is reused by
 * the caller's static, so the run never runs out of descriptors.
 */
static inline int
fuzz_memfd_fill(int *fd, const char *name, const void *p, size_t n)
{
	if (*fd == -1 && (*fd = memfd_create(name, MFD_CLOEXEC)) == -1)
		return -1;
	if (ftruncate(*fd, 0) == -1 ||
	    (n && pwrite(*fd, p, n, 0) != (ssize_t)n) ||
	    lseek(*fd, 0, SEEK_SET) == -1)
		return -1;
	return 0;
}

/*
 * Checks the n bytes at p as lines of a message: each ends in CRLF (the
 * last may be unterminated when open_last), no CR or LF elsewhere, none
 * longer than 998 octets before its CRLF (RFC 5322 2.1.1).  what names
 * the part in the failure.
 */
static inline void
fuzz_check_lines(const char *what, const char *p, size_t n, int open_last)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r') {
			FUZZ_CHECK(i + 1 < n && p[i + 1] == '\n',
			    "%s: bare CR at %zu", what, i);
			FUZZ_CHECK(i - start <= 998, "%s: line of %zu octets "
			    "at %zu", what, i - start, start);
			i++;
			start = i + 1;
		} else
			FUZZ_CHECK(p[i] != '\n', "%s: bare LF at %zu", what,
			    i);
	}
	FUZZ_CHECK(n - start <= 998, "%s: last line of %zu octets", what,
	    n - start);
	FUZZ_CHECK(open_last || start == n, "%s: unterminated last line",
	    what);
}

/*
 * The n bytes at p unfolded (RFC 5322 2.2.3: a CRLF followed by a space
 * or tab is removed), without the final CRLF; malloc'ed.
 */
static inline char *
fuzz_unfold(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	size_t i, o = 0;

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (p[i] == '\r' && i + 2 < n && p[i + 1] == '\n' &&
		    (p[i + 2] == ' ' || p[i + 2] == '\t')) {
			i++;
			continue;
		}
		if (p[i] == '\r' && i + 2 == n && p[i + 1] == '\n')
			break;
		s[o++] = p[i];
	}
	s[o] = '\0';
	return s;
}

static inline int
fuzz_b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Decodes a value made only of "=?UTF-8?B?...?=" words separated by
 * whitespace (RFC 2047: the whitespace between two encoded-words is not
 * part of the text) into a malloc'ed string.  Returns NULL when v is not
 * such a value.
 */
static inline char *
fuzz_decode_words(const char *v)
{
	size_t n = strlen(v), o = 0, i;
	char *out = malloc(n + 1);
	unsigned long acc;
	int bits, x;

	if (out == NULL)
		abort();
	for (;;) {
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v == '\0')
			break;
		if (strncmp(v, "=?UTF-8?B?", 10) != 0)
			goto bad;
		v += 10;
		acc = 0;
		bits = 0;
		for (i = 0; v[i] && v[i] != '?'; i++) {
			if (v[i] == '=')
				continue;
			if ((x = fuzz_b64_value((unsigned char)v[i])) < 0)
				goto bad;
			acc = (acc << 6 | (unsigned long)x) & 0xffffff;
			if ((bits += 6) >= 8) {
				bits -= 8;
				out[o++] = (char)(acc >> bits & 0xff);
			}
		}
		if (v[i] != '?' || v[i + 1] != '=')
			goto bad;
		v += i + 2;
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

#endif

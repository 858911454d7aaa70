/*
 * utf8.h - strict UTF-8 decoding, shared by the address parser and the
 * MIME writer, which must never cut a character in two.
 */
#ifndef SENDREPORTS_UTF8_H
#define SENDREPORTS_UTF8_H

#include <stddef.h>

/*
 * Returns the length (1 to 4) of the well-formed UTF-8 character that
 * starts at s, of which n bytes are available, or 0 when the bytes there
 * are not one (a stray continuation byte, a truncated sequence, an
 * overlong form, a surrogate, a code point past U+10FFFF).  n == 0
 * returns 0.
 */
size_t	utf8_char_len(const char *s, size_t n);

/* Returns 1 when the n bytes at s are all well-formed UTF-8, else 0. */
int	utf8_valid(const char *s, size_t n);

#endif

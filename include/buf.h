/*
 * buf.h - the one growable byte buffer, with a hard cap.
 *
 * Invariants (git's strbuf, curl's dynbuf): b->data is never NULL and is
 * always NUL-terminated, b->len counts the bytes before that NUL, and the
 * struct itself never moves, so a pointer to it stays valid.  Every buffer
 * that holds outside input is created with a cap; growing past it fails
 * with errno = EMSGSIZE instead of eating the box's memory.
 */
#ifndef SENDREPORTS_BUF_H
#define SENDREPORTS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* never NULL, NUL-terminated */
	size_t	 len;		/* bytes in use, not counting the NUL */
	size_t	 alloc;		/* bytes allocated; 0 while data is static */
	size_t	 max;		/* hard cap on len */
};

#define BUF_MAX_DEFAULT	((size_t)1 << 20)	/* 1 MiB */

/* Starts an empty buffer that may grow to max bytes.  Cannot fail. */
void	buf_init(struct buf *b, size_t max);

/* Frees the contents and leaves an empty buffer; safe to call twice. */
void	buf_release(struct buf *b);

/* Empties the buffer, keeping its memory. */
void	buf_reset(struct buf *b);

/*
 * Gives back the memory past the contents, for a buffer that will not
 * grow again (it still may: it is a buffer like any other).
 */
void	buf_shrink(struct buf *b);

/*
 * The appenders return 0, or -1 with errno EMSGSIZE (the cap would be
 * passed) or ENOMEM; on failure the buffer is unchanged.
 */
int	buf_append(struct buf *b, const void *p, size_t n);
int	buf_puts(struct buf *b, const char *s);
int	buf_putc(struct buf *b, int c);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

/* Appends s as a JSON string literal, quotes included.  0 or -1. */
int	buf_json_str(struct buf *b, const char *s);

/*
 * Hands the contents to the caller, who frees them with free(), and leaves
 * the buffer empty.  *len (when not NULL) receives the length.  Returns
 * NULL only when allocating an empty string fails.
 */
char	*buf_detach(struct buf *b, size_t *len);

#endif

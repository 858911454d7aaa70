/*
 * cabundle.h - the CA certificates the binary carries, for a box that has
 * no bundle of its own (a BusyBox image without /etc/ssl): the
 * certificates of the build machine's ca-certificates, as DER, gzipped at
 * build time (scripts/ca2c.sh, make CA_BUNDLE=FILE; CA_BUNDLE= builds
 * without), made PEM again by cabundle_pem().
 *
 * It is the last resort: a configured ca_file comes first, then the bundle
 * libcurl finds on the box, which its owner keeps up to date; the carried
 * one is as old as the build.
 */
#ifndef SENDREPORTS_CABUNDLE_H
#define SENDREPORTS_CABUNDLE_H

#include <stddef.h>

#include "buf.h"

extern const unsigned char	cabundle_gz[];
extern const size_t		cabundle_gz_len;	/* 0: none carried */
extern const size_t		cabundle_pem_len;
extern const unsigned		cabundle_count;		/* certificates */

/*
 * Unpacks the carried bundle into out (emptied first; its cap must allow
 * cabundle_pem_len bytes).  Returns 0, or -1 with err set: none carried,
 * or the data is damaged (which a test of the build catches).
 */
int	cabundle_pem(struct buf *out, struct buf *err);

#endif

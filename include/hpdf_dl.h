/*
 * hpdf_dl.h - libharu loaded when it is first needed, in the dynamic
 * build (SENDREPORTS_HPDF_DLOPEN).  Only the fallback PDF draws with
 * libharu, and only for a report whose stored PDF is missing; linked,
 * every command would map it and the libpng and zlib it brings at
 * start, ~400 KB of the peak of the tick a box runs every minute, which
 * renders nothing.  So the dynamic build does not link libharu: hpdf_dl.c
 * defines the libharu functions the program calls, each forwarding to
 * the library's own, which the first call loads (dlopen of
 * HPDF_DL_SONAME, dl_lib.h).  The static builds link libharu and have
 * no use for this file.
 *
 * When libharu cannot be loaded, HPDF_New() tells its error handler
 * HPDF_DL_UNLOADED, as libharu's own tells it why it could not start,
 * and returns NULL; the other functions return HPDF_DL_UNLOADED, NULL
 * or 0.  The renderer makes that a RENDER_IOERR naming the library and
 * why (render_page.c): a report is deferred, not given up.
 */
#ifndef SENDREPORTS_HPDF_DL_H
#define SENDREPORTS_HPDF_DL_H

#include <stddef.h>

#include <hpdf_version.h>

/* Debian's name for the library the headers are of: libhpdf-2.3.0.so. */
#ifndef HPDF_DL_SONAME
#define HPDF_DL_SONAME	"libhpdf-" HPDF_VERSION_TEXT ".so"
#endif

/* An HPDF_STATUS past libharu's own error codes (0x1001 to 0x10xx). */
#define HPDF_DL_UNLOADED	0x1FFF

/*
 * Loads libharu and resolves the functions, once.  0, or -1 with why
 * (size bytes) saying what is missing ("libhpdf-2.3.0.so: cannot open
 * shared object file: No such file or directory").  In a build that
 * links libharu, 0.
 */
int	hpdf_dl_load(char *why, size_t size);

#endif

/*
 * dl_lib.h - a shared library loaded when it is first needed, in the
 * dynamic build: what curl_dl.c (libcurl) and hpdf_dl.c (libharu) share.
 *
 * A library linked the usual way is mapped when the program starts, by
 * every command, and the tick a box runs every minute pays its memory
 * for code it calls only when something is to be sent or rendered.  So
 * the dynamic build links neither: each of those files defines the few
 * functions of its library the program calls, under their own names and
 * prototypes (the library's header checks them), each forwarding to the
 * library's own through a pointer that dl_lib_load() takes with dlsym()
 * when one of them is first called.  The library is opened RTLD_NOW |
 * RTLD_LOCAL, so its symbols never take the place of those definitions,
 * and never closed.  Single-threaded: the program loads each library
 * from one thread (libcurl's and libharu's callers are).
 */
#ifndef SENDREPORTS_DL_LIB_H
#define SENDREPORTS_DL_LIB_H

#include <stddef.h>

/* One library: set up statically by its module, filled in here. */
struct dl_lib {
	const char		*soname;	/* the name dlopen() is given */
	const char *const	*names;		/* its functions, nfns of them */
	void			(**fns)(void);	/* their addresses, in order */
	size_t			 nfns;
	const char		*hint;		/* said after a missing function
						   (" (libcurl older than
						   7.62?)"), or "" */
	int			 state;		/* 0 not tried, 1 loaded,
						   -1 failed */
	char			 why[256];	/* why it failed */
};

/*
 * Loads the library and resolves all its functions, on the first call;
 * later calls answer the same without trying again.  0, or -1 with why
 * (size bytes, may be NULL) saying what is missing ("libcurl.so.4:
 * cannot open shared object file: No such file or directory",
 * "libcurl.so.4: no curl_url_set (libcurl older than 7.62?)").
 */
int	dl_lib_load(struct dl_lib *lib, char *why, size_t size);

/* Function i of lib as type T, loaded on first use: NULL when it cannot be. */
#define DL_LIB_FN(lib, T, i) \
	(dl_lib_load((lib), NULL, 0) == 0 ? (T)(lib)->fns[(i)] : (T)NULL)

#endif

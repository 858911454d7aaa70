/*
 * dl_lib.c - a shared library loaded on first use (dl_lib.h): dlopen()
 * and one dlsym() per function the program calls, the answer kept.
 * Compiled only in the builds that load a library so (the static ones
 * link them all, and Windows has no dlopen()).
 */
#include "dl_lib.h"

#if defined(SENDREPORTS_CURL_DLOPEN) || defined(SENDREPORTS_HPDF_DLOPEN)

#include <dlfcn.h>
#include <stdio.h>

int
dl_lib_load(struct dl_lib *lib, char *why, size_t size)
{
	const char *e;
	void *h;
	size_t i;

	if (lib->state == 0) {
		lib->state = -1;
		if ((h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
			e = dlerror();
			snprintf(lib->why, sizeof(lib->why), "%s",
			    e ? e : lib->soname);
			goto out;
		}
		for (i = 0; i < lib->nfns; i++) {
			/* POSIX: a function's address through void *. */
			*(void **)&lib->fns[i] = dlsym(h, lib->names[i]);
			if (lib->fns[i] == NULL) {
				snprintf(lib->why, sizeof(lib->why),
				    "%s: no %s%s", lib->soname,
				    lib->names[i], lib->hint);
				dlclose(h);
				goto out;
			}
		}
		lib->state = 1;		/* never closed: the library stays */
	}
out:
	if (lib->state == 1)
		return 0;
	if (why && size)
		snprintf(why, size, "%s", lib->why);
	return -1;
}

#endif

/* hpdf_config.h - libharu's build configuration for the static musl
 * builds (what its CMake would generate): zlib, no libpng.  The PNG
 * loaders then return HPDF_UNSUPPORTED_FUNC; sendreports draws no image. */
#ifndef _HPDF_CONFIG_H
#define _HPDF_CONFIG_H

#define LIBHPDF_HAVE_DLFCN_H 1
#define LIBHPDF_HAVE_INTTYPES_H 1
#define LIBHPDF_HAVE_MEMORY_H 1
#define LIBHPDF_HAVE_STDINT_H 1
#define LIBHPDF_HAVE_STDLIB_H 1
#define LIBHPDF_HAVE_STRINGS_H 1
#define LIBHPDF_HAVE_STRING_H 1
#define LIBHPDF_HAVE_SYS_STAT_H 1
#define LIBHPDF_HAVE_SYS_TYPES_H 1
#define LIBHPDF_HAVE_UNISTD_H 1
#define LIBHPDF_HAVE_LIBZ 1
#define LIBHPDF_STDC_HEADERS 1
#define LIBHPDF_HAVE_NOPNGLIB 1
#define HPDF_NOPNGLIB 1

#endif

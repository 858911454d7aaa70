/*
 * hpdf_dl.c - the libharu functions the program calls, loaded on first
 * use (hpdf_dl.h).  HPDF_DL_FUNCS names each once: X(name, return type,
 * parameters, the arguments passed on, what it returns before the
 * library could be loaded), or V(name, parameters, arguments) for one
 * that returns nothing.  From the list come the table of names that
 * dl_lib.c resolves and the definitions, each with the name and
 * prototype of libharu's own (the compiler checks them against its
 * headers), calling it through the pointer dl_lib.c took.  A function
 * the program starts to call must be added here, or the dynamic build
 * does not link.
 */
#include "hpdf_dl.h"

#ifdef SENDREPORTS_HPDF_DLOPEN

#include <hpdf.h>
#include <hpdf_objects.h>
#include <hpdf_streams.h>

#include "dl_lib.h"

#define HPDF_DL_FUNCS(X, V)						\
	X(HPDF_GetVersion, const char *, (void), (), NULL)		\
	X(HPDF_New, HPDF_Doc, (HPDF_Error_Handler e, void *d), (e, d),	\
	    hpdf_dl_unloaded(e, d))					\
	V(HPDF_Free, (HPDF_Doc pdf), (pdf))				\
	X(HPDF_SetCompressionMode, HPDF_STATUS, (HPDF_Doc pdf,		\
	    HPDF_UINT m), (pdf, m), HPDF_DL_UNLOADED)			\
	X(HPDF_SetInfoAttr, HPDF_STATUS, (HPDF_Doc pdf, HPDF_InfoType t,	\
	    const char *v), (pdf, t, v), HPDF_DL_UNLOADED)		\
	X(HPDF_UseUTFEncodings, HPDF_STATUS, (HPDF_Doc pdf), (pdf),	\
	    HPDF_DL_UNLOADED)						\
	X(HPDF_GetFont, HPDF_Font, (HPDF_Doc pdf, const char *name,	\
	    const char *enc), (pdf, name, enc), NULL)			\
	X(HPDF_LoadTTFontFromFile, const char *, (HPDF_Doc pdf,		\
	    const char *file, HPDF_BOOL embed), (pdf, file, embed), NULL)	\
	X(HPDF_Font_TextWidth, HPDF_TextWidth, (HPDF_Font font,		\
	    const HPDF_BYTE *text, HPDF_UINT n), (font, text, n),	\
	    (HPDF_TextWidth){ 0 })					\
	X(HPDF_AddPage, HPDF_Page, (HPDF_Doc pdf), (pdf), NULL)		\
	X(HPDF_SaveToStream, HPDF_STATUS, (HPDF_Doc pdf), (pdf),	\
	    HPDF_DL_UNLOADED)						\
	X(HPDF_CallbackWriter_New, HPDF_Stream, (HPDF_MMgr mmgr,	\
	    HPDF_Stream_Write_Func fn, void *data), (mmgr, fn, data), NULL) \
	X(HPDF_Stream_Write, HPDF_STATUS, (HPDF_Stream s,		\
	    const HPDF_BYTE *p, HPDF_UINT n), (s, p, n), HPDF_DL_UNLOADED) \
	X(HPDF_Stream_WriteStr, HPDF_STATUS, (HPDF_Stream s,		\
	    const char *v), (s, v), HPDF_DL_UNLOADED)			\
	X(HPDF_MemStream_GetBufCount, HPDF_UINT, (HPDF_Stream s), (s), 0) \
	X(HPDF_MemStream_GetBufPtr, HPDF_BYTE *, (HPDF_Stream s,	\
	    HPDF_UINT i, HPDF_UINT *len), (s, i, len), NULL)		\
	V(HPDF_MemStream_FreeData, (HPDF_Stream s), (s))		\
	X(HPDF_Dict_GetItem, void *, (HPDF_Dict dict, const char *key,	\
	    HPDF_UINT16 cls), (dict, key, cls), NULL)			\
	X(HPDF_Page_SetWidth, HPDF_STATUS, (HPDF_Page p, HPDF_REAL v),	\
	    (p, v), HPDF_DL_UNLOADED)					\
	X(HPDF_Page_SetHeight, HPDF_STATUS, (HPDF_Page p, HPDF_REAL v),	\
	    (p, v), HPDF_DL_UNLOADED)					\
	X(HPDF_Page_BeginText, HPDF_STATUS, (HPDF_Page p), (p),		\
	    HPDF_DL_UNLOADED)						\
	X(HPDF_Page_EndText, HPDF_STATUS, (HPDF_Page p), (p),		\
	    HPDF_DL_UNLOADED)						\
	X(HPDF_Page_SetFontAndSize, HPDF_STATUS, (HPDF_Page p,		\
	    HPDF_Font font, HPDF_REAL size), (p, font, size),		\
	    HPDF_DL_UNLOADED)						\
	X(HPDF_Page_TextOut, HPDF_STATUS, (HPDF_Page p, HPDF_REAL x,	\
	    HPDF_REAL y, const char *text), (p, x, y, text),		\
	    HPDF_DL_UNLOADED)						\
	X(HPDF_Page_SetGrayFill, HPDF_STATUS, (HPDF_Page p,		\
	    HPDF_REAL gray), (p, gray), HPDF_DL_UNLOADED)		\
	X(HPDF_Page_SetGrayStroke, HPDF_STATUS, (HPDF_Page p,		\
	    HPDF_REAL gray), (p, gray), HPDF_DL_UNLOADED)		\
	X(HPDF_Page_SetRGBFill, HPDF_STATUS, (HPDF_Page p, HPDF_REAL r,	\
	    HPDF_REAL g, HPDF_REAL b), (p, r, g, b), HPDF_DL_UNLOADED)	\
	X(HPDF_Page_SetLineWidth, HPDF_STATUS, (HPDF_Page p,		\
	    HPDF_REAL w), (p, w), HPDF_DL_UNLOADED)			\
	X(HPDF_Page_MoveTo, HPDF_STATUS, (HPDF_Page p, HPDF_REAL x,	\
	    HPDF_REAL y), (p, x, y), HPDF_DL_UNLOADED)			\
	X(HPDF_Page_LineTo, HPDF_STATUS, (HPDF_Page p, HPDF_REAL x,	\
	    HPDF_REAL y), (p, x, y), HPDF_DL_UNLOADED)			\
	X(HPDF_Page_Rectangle, HPDF_STATUS, (HPDF_Page p, HPDF_REAL x,	\
	    HPDF_REAL y, HPDF_REAL w, HPDF_REAL h), (p, x, y, w, h),	\
	    HPDF_DL_UNLOADED)						\
	X(HPDF_Page_Fill, HPDF_STATUS, (HPDF_Page p), (p),		\
	    HPDF_DL_UNLOADED)						\
	X(HPDF_Page_Stroke, HPDF_STATUS, (HPDF_Page p), (p),		\
	    HPDF_DL_UNLOADED)

/* The functions' numbers and names, in the order of the list. */
#define HPDF_DL_ENUM(name, ...)	F_##name,
#define HPDF_DL_NAME(name, ...)	#name,

enum { HPDF_DL_FUNCS(HPDF_DL_ENUM, HPDF_DL_ENUM) F_COUNT };

static const char *const hpdf_dl_names[F_COUNT] = {
	HPDF_DL_FUNCS(HPDF_DL_NAME, HPDF_DL_NAME)
};

static void (*hpdf_dl_fns[F_COUNT])(void);
static struct dl_lib hpdf_dl = {
	HPDF_DL_SONAME, hpdf_dl_names, hpdf_dl_fns, F_COUNT, "", 0, ""
};

int
hpdf_dl_load(char *why, size_t size)
{
	return dl_lib_load(&hpdf_dl, why, size);
}

/* HPDF_New without the library: its handler is told, as by libharu's. */
static HPDF_Doc
hpdf_dl_unloaded(HPDF_Error_Handler e, void *d)
{
	if (e)
		e(HPDF_DL_UNLOADED, 0, d);
	return NULL;
}

#define HPDF_DL_DEFINE(name, type, params, args, fail)			\
type									\
name params								\
{									\
	type (*f) params = DL_LIB_FN(&hpdf_dl, type (*) params, F_##name); \
									\
	return f ? f args : fail;					\
}

#define HPDF_DL_DEFINE_VOID(name, params, args)				\
void									\
name params								\
{									\
	void (*f) params = DL_LIB_FN(&hpdf_dl, void (*) params, F_##name); \
									\
	if (f)								\
		f args;							\
}

HPDF_DL_FUNCS(HPDF_DL_DEFINE, HPDF_DL_DEFINE_VOID)

#else

int
hpdf_dl_load(char *why, size_t size)
{
	(void)why;
	(void)size;
	return 0;
}

#endif

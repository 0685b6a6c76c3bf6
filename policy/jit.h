/*
 * jit.h - PCRE2's JIT for a compiled pattern, in one place.  JIT is only a
 * speed-up: where it fails the interpreter runs.  Under valgrind the
 * interpreter runs too, because memcheck cannot follow the generated code
 * and reports its reads as uninitialised (tests/valgrind.sh).
 */
#ifndef CG_POL_JIT_H
#define CG_POL_JIT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define POL_UNDER_VALGRIND RUNNING_ON_VALGRIND
#endif
#endif
#ifndef POL_UNDER_VALGRIND
#define POL_UNDER_VALGRIND 0
#endif

static inline void
pol_jit_compile(pcre2_code *code)
{
	if (!POL_UNDER_VALGRIND)
		(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
}

#endif

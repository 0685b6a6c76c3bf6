/*
 * ref.c - evidence references: short, unique tokens that appear in the SMTP
 * reply, the X-Consent-Gate header and the evidence record, so a compliance
 * team can go from a bounce to the decision.
 *
 * Form: 8 hex digits of UTC seconds, '-', 8 hex digits of a per-process
 * counter started at a random value.  Unique within a process; two
 * processes collide only if they start on the same random value.
 * Owns: one atomic counter.
 */
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "mf.h"

static unsigned mf_ref_counter;
static int mf_ref_seeded;

void
mf_ref_new(char *ref, size_t refsz)
{
	unsigned seed, n;

	if (!__atomic_load_n(&mf_ref_seeded, __ATOMIC_ACQUIRE)) {
		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(seed))
			seed = (unsigned)time(NULL) ^ (unsigned)clock();
		__atomic_store_n(&mf_ref_counter, seed, __ATOMIC_RELAXED);
		__atomic_store_n(&mf_ref_seeded, 1, __ATOMIC_RELEASE);
	}
	n = __atomic_add_fetch(&mf_ref_counter, 1, __ATOMIC_RELAXED);
	snprintf(ref, refsz, "%08lx-%08x", (unsigned long)time(NULL), n);
}

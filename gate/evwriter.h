/*
 * evwriter.h - group commit of evidence records: one writer thread commits
 * what callers queued in one LMDB transaction (one fsync) and wakes them.
 * No libmilter here; the milter and the benchmarks use it.
 */
#ifndef CG_GATE_EVWRITER_H
#define CG_GATE_EVWRITER_H

#include "../db/store.h"

/* Start the writer thread (0, or -1 when it cannot be created); without
 * it gate_evidence_write appends directly. */
int gate_evwriter_start(void);
/* Commit what is queued and join the thread. */
void gate_evwriter_stop(void);
/*
 * Block until e (borrowed until then) is durable in store and return the
 * db/ code.  store is the caller's: it must stay open until this returns
 * (the milter passes a counted use of its current store).
 */
int gate_evidence_write(struct db_store *store, const struct db_evidence *e);

#endif

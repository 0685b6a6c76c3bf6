/*
 * follow_verify.c - consentctl follow --verify: prove that this host's
 * replica holds what the centre holds.  After one push and pull, the
 * digests of the 256 address ranges (db/replica_digest.c and the centre's
 * consent_verify_buckets(), one definition each, kept equal) are compared;
 * for each range that differs the row digests of both sides are merged in
 * address order and every address whose row differs, or that one side
 * lacks, is named on stdout:
 *
 *   differs: ADDR (fields differ: NAME,... | only at the centre |
 *                  only on this host)
 *
 * (the fields are named for the first CTL_VERIFY_NAME_FIELDS rows, "?"
 * after them).
 *   verify: N records, M of 256 ranges differ, K addresses differ
 *
 * The centre is read in one REPEATABLE READ transaction whose snapshot
 * has no change after the last one applied here (else the follower pulls
 * and takes a new snapshot, up to three times), so a change in flight is
 * not reported as a difference.  A local change still waiting in the
 * outbox can be.  The result is kept in the store (consentctl status) with
 * an evidence record (kind "replication", action "verify"; the counts, no
 * address).
 *
 * The running follower makes the same check every FollowVerifyInterval
 * seconds (ctl_follow_verify_tick), the first one interval after the last
 * recorded verify (or after the start when there was none).
 *
 * Owns: the PGresults of its queries and the local row list of one range.
 * Returns the number of differing addresses, or -1 (centre, logged) / -2
 * (store, logged).
 */
#ifdef CG_HAVE_LIBPQ

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "ctl.h"
#include "follow.h"

#define CTL_VERIFY_SNAPSHOT_TRIES 3
/* Rows whose differing fields are named (one more query each). */
#define CTL_VERIFY_NAME_FIELDS 100

/* The local rows of one range, in address order. */
struct ctl_vrows {
	char (*addr)[ADDR_MAX + 1];
	char (*hex)[DB_HASH_HEX];
	size_t n, cap;
};

static int
ctl_vrows_add(const char *addr, const char *hex, void *arg)
{
	struct ctl_vrows *v = arg;
	void *a, *h;

	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		a = realloc(v->addr, v->cap * sizeof(*v->addr));
		if (a != NULL)
			v->addr = a;
		h = realloc(v->hex, v->cap * sizeof(*v->hex));
		if (h != NULL)
			v->hex = h;
		if (a == NULL || h == NULL)
			return DB_ERR_NOMEM;
	}
	snprintf(v->addr[v->n], sizeof(v->addr[0]), "%s", addr);
	snprintf(v->hex[v->n], sizeof(v->hex[0]), "%s", hex);
	v->n++;
	return 0;
}

static void
ctl_vrows_free(struct ctl_vrows *v)
{
	free(v->addr);
	free(v->hex);
	memset(v, 0, sizeof(*v));
}

/*
 * The names of the fields in which the centre's row of addr differs from
 * this store's, comma-separated into out ("" when unknown).
 */
static void
ctl_verify_fields(struct ctl_follow *f, const char *addr, char *out,
		  size_t size)
{
	static const char *const name[] = {
		"address", "state", "uid", "created", "confirmed", "withdrawn",
		"ip", "source", "tracking", "doi_sent", "doi_msgid", "lists"};
	const char *p[1] = {addr};
	struct db_consent c;
	char *here = NULL, *l = NULL, *r = NULL, *sl, *sr;
	size_t n = 0, i;
	PGresult *res;

	out[0] = '\0';
	res = PQexecParams(f->pg, "SELECT line FROM consent_digest WHERE "
			   "address = $1", 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    db_consent_get(f->store, addr, &c) == DB_OK &&
	    (here = db_digest_text(addr, &c)) != NULL &&
	    (l = strdup(PQgetvalue(res, 0, 0))) != NULL &&
	    (r = strdup(here)) != NULL) {
		log_debug("%s: centre %s", addr, l);
		log_debug("%s: here   %s", addr, r);
		sl = l;
		sr = r;
		for (i = 0; i < sizeof(name) / sizeof(name[0]); i++) {
			char *fl = strsep(&sl, "\x1f"), *fr = strsep(&sr, "\x1f");

			if ((fl == NULL) != (fr == NULL) ||
			    (fl && strcmp(fl, fr) != 0))
				n += (size_t)snprintf(out + n, n < size ? size - n
						      : 0, "%s%s", n ? "," : "",
						      name[i]);
			if (n >= size)
				break;
		}
	}
	PQclear(res);
	free(here);
	free(l);
	free(r);
}

/* Compare one range row by row; the number of differing addresses or
 * -1 / -2. */
static int
ctl_verify_range(struct ctl_follow *f, int bucket, int *named)
{
	char b[16]; /* any int */
	const char *p[1] = {b};
	struct ctl_vrows v = {0};
	char fields[160];
	PGresult *r;
	int i = 0, n, diff = 0, c, rc;
	size_t j = 0;

	snprintf(b, sizeof(b), "%d", bucket);
	if ((rc = db_digest_rows(f->store, bucket, ctl_vrows_add, &v)) !=
	    DB_OK) {
		log_err("reading the store: %s", db_strerror(rc));
		ctl_vrows_free(&v);
		return -2;
	}
	r = PQexecParams(f->pg, "SELECT address, digest FROM "
			 "consent_verify_rows($1::int)", 1, NULL, p, NULL,
			 NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warn("centre: consent_verify_rows: %s", ctl_pg_error(f->pg));
		PQclear(r);
		ctl_vrows_free(&v);
		return -1;
	}
	n = PQntuples(r);
	while (i < n || j < v.n) {
		c = i >= n ? 1 : j >= v.n ? -1
			 : strcmp(PQgetvalue(r, i, 0), v.addr[j]);
		if (c == 0 && strcmp(PQgetvalue(r, i, 1), v.hex[j]) == 0) {
			i++, j++;
			continue;
		}
		diff++;
		if (c == 0) {
			fields[0] = '\0';
			if (*named < CTL_VERIFY_NAME_FIELDS) {
				ctl_verify_fields(f, v.addr[j], fields,
						  sizeof(fields));
				(*named)++;
			}
			printf("differs: %s (fields differ: %s)\n", v.addr[j],
			       fields[0] ? fields : "?");
		}
		else if (c < 0)
			printf("differs: %s (only at the centre)\n",
			       PQgetvalue(r, i, 0));
		else
			printf("differs: %s (only on this host)\n", v.addr[j]);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	PQclear(r);
	ctl_vrows_free(&v);
	return diff;
}

/*
 * Open a REPEATABLE READ snapshot of the centre with nothing this store
 * has not applied.  0 in the snapshot, -1 / -2 / -3 as ctl_follow_pull.
 */
static int
ctl_verify_snapshot(struct ctl_follow *f)
{
	PGresult *r;
	long long max;
	int t, rc;

	for (t = 0;; t++) {
		r = PQexec(f->pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ "
			   "ONLY; SELECT coalesce(max(id), 0) FROM "
			   "consent_change");
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			log_warn("centre: snapshot: %s", ctl_pg_error(f->pg));
			PQclear(r);
			PQclear(PQexec(f->pg, "ROLLBACK"));
			return -1;
		}
		max = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		if (max <= f->last_id || t == CTL_VERIFY_SNAPSHOT_TRIES)
			return 0;
		PQclear(PQexec(f->pg, "ROLLBACK"));
		do {
			rc = ctl_follow_pull(f);
		} while (rc == 1 && !ctl_follow_stop);
		if (rc < 0)
			return rc;
	}
}

/* Compare the ranges inside the snapshot; differing addresses or <0. */
static int
ctl_verify_ranges(struct ctl_follow *f, uint64_t *records, int *ranges)
{
	struct db_digest_bucket *loc;
	char central[DB_DIGEST_BUCKETS][DB_HASH_HEX];
	uint64_t cn[DB_DIGEST_BUCKETS] = {0};
	PGresult *r;
	int i, b, diff = 0, d, rc, named = 0;

	memset(central, 0, sizeof(central));
	if ((loc = calloc(DB_DIGEST_BUCKETS, sizeof(*loc))) == NULL)
		return -2;
	if ((rc = db_digest_buckets(f->store, loc)) != DB_OK) {
		log_err("reading the store: %s", db_strerror(rc));
		free(loc);
		return -2;
	}
	r = PQexec(f->pg, "SELECT bucket, n, digest FROM "
		   "consent_verify_buckets()");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warn("centre: consent_verify_buckets: %s",
			 ctl_pg_error(f->pg));
		PQclear(r);
		free(loc);
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++) {
		b = atoi(PQgetvalue(r, i, 0));
		if (b < 0 || b >= DB_DIGEST_BUCKETS)
			continue;
		cn[b] = strtoull(PQgetvalue(r, i, 1), NULL, 10);
		snprintf(central[b], sizeof(central[b]), "%s",
			 PQgetvalue(r, i, 2));
	}
	PQclear(r);
	*records = 0;
	*ranges = 0;
	for (b = 0; b < DB_DIGEST_BUCKETS && diff >= 0; b++) {
		*records += loc[b].n;
		if (cn[b] == loc[b].n && strcmp(central[b], loc[b].hex) == 0)
			continue;
		(*ranges)++;
		d = ctl_verify_range(f, b, &named);
		diff = d < 0 ? d : diff + d;
	}
	free(loc);
	return diff;
}

int
ctl_follow_verify(struct ctl_follow *f)
{
	struct ctl_audit a;
	uint64_t records = 0;
	int rc, diff, ranges = 0;

	if ((rc = ctl_verify_snapshot(f)) < 0)
		return rc;
	diff = ctl_verify_ranges(f, &records, &ranges);
	PQclear(PQexec(f->pg, "ROLLBACK"));
	if (diff < 0)
		return diff;
	printf("verify: %llu records, %d of %d ranges differ, %d addresses "
	       "differ\n", (unsigned long long)records, ranges,
	       DB_DIGEST_BUCKETS, diff);
	ctl_audit_init(&a, ctl_now(), "verify", "", "",
		       "replica verified against the centre: %s, %d addresses "
		       "differ, %d of %d ranges, %llu records here",
		       diff ? "differs" : "match", diff, ranges,
		       DB_DIGEST_BUCKETS, (unsigned long long)records);
	a.e.kind = "replication";
	if ((rc = db_replica_set_verified(f->store, ctl_now(), (uint64_t)diff,
					  &a.e)) != DB_OK) {
		log_err("recording the verification: %s", db_strerror(rc));
		return -2;
	}
	return diff;
}

int
ctl_follow_verify_tick(struct ctl_follow *f)
{
	struct db_replica_state st;
	int64_t now = ctl_now();
	int rc;

	if (f->verify_every <= 0 || now < f->verify_next)
		return 0;
	if ((rc = db_replica_status(f->store, &st)) != DB_OK) {
		log_err("reading the replication state: %s", db_strerror(rc));
		return -2;
	}
	if (st.outbox > 0 || st.stuck_id != 0) {
		log_debug("periodic verify postponed: %s", st.outbox > 0
			  ? "local changes wait in the outbox" : "stopped at a "
			  "change");
		/* Not now: it would differ.  The next cycle pushes. */
		f->verify_next = now + (f->verify_every < 10 ? f->verify_every
							   : 10);
		return 0;
	}
	log_info("periodic verify of the replica against the centre");
	rc = ctl_follow_verify(f);
	fflush(stdout);
	f->verify_next = ctl_now() + (rc < 0 && f->verify_every > 60
				      ? 60 : f->verify_every);
	if (rc > 0)
		log_err("verify: %d addresses differ from the centre "
			"(consentctl follow --verify names them); consentctl "
			"status exits 3 until a verify matches", rc);
	else if (rc == 0)
		log_info("verify: the replica matches the centre");
	return rc < 0 ? rc : 0;
}

#endif

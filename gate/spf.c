/*
 * spf.c - SPF for the egress address with libspf2, cached per domain.
 *
 * Owns: one SPF_server_t (shared by all threads, which libspf2 allows when
 * no one changes it), its DNS layer, and a small cache (GLib hash table
 * under a mutex) of domain -> result and expiry.  libspf2 reports a broken
 * top-level record or a DNS failure as SPF_RESULT_INVALID; that is mapped
 * to permerror or temperror here by the query's return code (see the
 * library notes).  Never logs; a failure to query is "temperror", so the
 * milter tempfails and the sender retries.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>
#include <spf2/spf_dns_resolv.h>
#include <spf2/spf_dns_cache.h>

#include <glib.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spf.h"

struct gate_spf_entry {
	const char *result;
	time_t expires;
};

static SPF_server_t *gate_spf_server;
static SPF_dns_server_t *gate_spf_dns;
static GHashTable *gate_spf_cache;
static pthread_mutex_t gate_spf_lock = PTHREAD_MUTEX_INITIALIZER;

/* Load "domain TXT text" / "domain TEMPFAIL" lines into a zone layer. */
static int
gate_spf_load_zone(SPF_dns_server_t *zone, const char *path)
{
	char line[1024], dom[256];
	FILE *f = fopen(path, "r");
	int off;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || sscanf(line, "%255s %n", dom, &off) < 1)
			continue;
		if (strncmp(line + off, "TEMPFAIL", 8) == 0)
			SPF_dns_zone_add_str(zone, dom, ns_t_txt, TRY_AGAIN, NULL);
		else if (strncmp(line + off, "TXT ", 4) == 0)
			SPF_dns_zone_add_str(zone, dom, ns_t_txt, NETDB_SUCCESS,
					     line + off + 4);
	}
	fclose(f);
	return 0;
}

int
gate_spf_init(void)
{
	const char *zone = getenv("CONSENTGATE_SPF_ZONE");

	if (zone && *zone) {
		gate_spf_dns = SPF_dns_zone_new(NULL, "consentgate-test", 0);
		if (gate_spf_dns == NULL || gate_spf_load_zone(gate_spf_dns, zone) < 0)
			return -1;
	} else {
		gate_spf_dns = SPF_dns_cache_new(SPF_dns_resolv_new(NULL, NULL, 0),
					       NULL, 0, 8);
		if (gate_spf_dns == NULL)
			return -1;
	}
	gate_spf_server = SPF_server_new_dns(gate_spf_dns, 0);
	if (gate_spf_server == NULL)
		return -1;
	gate_spf_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     g_free);
	return 0;
}

void
gate_spf_shutdown(void)
{
	if (gate_spf_server)
		SPF_server_free(gate_spf_server);
	if (gate_spf_dns)
		SPF_dns_free(gate_spf_dns);
	if (gate_spf_cache)
		g_hash_table_destroy(gate_spf_cache);
	gate_spf_server = NULL;
	gate_spf_dns = NULL;
	gate_spf_cache = NULL;
}

static const char *
gate_spf_name(SPF_result_t r, SPF_errcode_t err)
{
	switch (r) {
	case SPF_RESULT_PASS: return "pass";
	case SPF_RESULT_FAIL: return "fail";
	case SPF_RESULT_SOFTFAIL: return "softfail";
	case SPF_RESULT_NEUTRAL: return "neutral";
	case SPF_RESULT_NONE: return "none";
	case SPF_RESULT_PERMERROR: return "permerror";
	case SPF_RESULT_TEMPERROR: return "temperror";
	default:
		return err == SPF_E_DNS_ERROR ? "temperror" : "permerror";
	}
}

static const char *
gate_spf_query(const char *ip, const char *sender, const char *helo)
{
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	SPF_errcode_t err;
	const char *name;
	int rc;

	req = SPF_request_new(gate_spf_server);
	if (req == NULL)
		return "temperror";
	if (strchr(ip, ':'))
		rc = SPF_request_set_ipv6_str(req, ip);
	else
		rc = SPF_request_set_ipv4_str(req, ip);
	if (rc != SPF_E_SUCCESS) {
		SPF_request_free(req);
		return "permerror";
	}
	if (helo && *helo)
		SPF_request_set_helo_dom(req, helo);
	SPF_request_set_env_from(req, sender);
	err = SPF_request_query_mailfrom(req, &resp);
	name = gate_spf_name(resp ? SPF_response_result(resp) : SPF_RESULT_INVALID,
			   err);
	if (resp)
		SPF_response_free(resp);
	SPF_request_free(req);
	return name;
}

const char *
gate_spf_check(const char *egress_ip, const char *sender, const char *helo,
	     long ttl)
{
	const char *at = strrchr(sender, '@');
	const char *domain = at ? at + 1 : (helo ? helo : "");
	struct gate_spf_entry *e;
	const char *r;
	time_t now = time(NULL);

	if (gate_spf_server == NULL)
		return "temperror";
	pthread_mutex_lock(&gate_spf_lock);
	e = g_hash_table_lookup(gate_spf_cache, domain);
	r = e && e->expires > now ? e->result : NULL;
	pthread_mutex_unlock(&gate_spf_lock);
	if (r)
		return r;
	r = gate_spf_query(egress_ip, sender, helo);
	if (strcmp(r, "temperror") != 0 && ttl > 0) {
		e = g_new(struct gate_spf_entry, 1);
		e->result = r;
		e->expires = now + ttl;
		pthread_mutex_lock(&gate_spf_lock);
		if (g_hash_table_size(gate_spf_cache) > 100000)
			g_hash_table_remove_all(gate_spf_cache);
		g_hash_table_replace(gate_spf_cache, g_strdup(domain), e);
		pthread_mutex_unlock(&gate_spf_lock);
	}
	return r;
}

/*
 * cmd_log.c - `consentctl log`: list the evidence records that match the
 * filters, as text, CSV or JSON.
 *
 *   log [--since T] [--until T] [--rule R] [--action A] [--sender S]
 *       [--recipient R] [--class C] [--kind K] [--profile NAME]
 *       [--format text|csv|json]
 *
 * Times are ISO 8601 UTC or unix seconds; since is inclusive, until
 * exclusive.  --rule names a rule id of the rules field, --recipient one
 * address of the recipient list and --sender the sender (both compared
 * normalised), --profile the brand profile a record was made under
 * (exact).  text is one line per record (time ref kind class action
 * sender -> recipients rules, retry-of=REF for a doi-retry and
 * profile=NAME under a brand profile; control
 * characters shown as '?'); csv is a
 * header and one RFC 4180 row per record with CRLF line ends; json is an
 * array of the record objects as db_evidence_foreach presents them (the
 * stored text with the personal fields merged in).
 *
 * Opens the store read-only.  Owns nothing beyond the walk.  Exit 0 ok,
 * 1 store error, write error or a record that does not parse (named on
 * stderr, the others are still listed), 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "evrec.h"

enum ctl_log_format { CTL_LOG_TEXT, CTL_LOG_CSV, CTL_LOG_JSON };

struct ctl_log {
	enum ctl_log_format format;
	FILE *out;
	uint64_t count;
};

/* The long options shared by every evidence filter. */
#define CTL_EVFILTER_LONGOPTS                                              \
	{"since", required_argument, NULL, CTL_EVOPT_SINCE},               \
	{"until", required_argument, NULL, CTL_EVOPT_UNTIL},               \
	{"rule", required_argument, NULL, CTL_EVOPT_RULE},                 \
	{"action", required_argument, NULL, CTL_EVOPT_ACTION},             \
	{"sender", required_argument, NULL, CTL_EVOPT_SENDER},             \
	{"recipient", required_argument, NULL, CTL_EVOPT_RECIPIENT},       \
	{"class", required_argument, NULL, CTL_EVOPT_CLASS},               \
	{"kind", required_argument, NULL, CTL_EVOPT_KIND},                 \
	{"profile", required_argument, NULL, CTL_EVOPT_PROFILE}

/* One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR, LF or
 * outer spaces; quotes doubled. */
static void
ctl_log_csv_cell(FILE *out, const char *s, int last)
{
	size_t n = strlen(s);
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL &&
	    (n == 0 || (s[0] != ' ' && s[n - 1] != ' '))) {
		fputs(s, out);
	} else {
		fputc('"', out);
		for (p = s; *p; p++) {
			if (*p == '"')
				fputc('"', out);
			fputc(*p, out);
		}
		fputc('"', out);
	}
	fputs(last ? "\r\n" : ",", out);
}

#define CTL_LOG_CSV_HEADER \
	"seq,time,ref,kind,queue_id,message_id,sender,recipients," \
	"client_ip,tls,class,rules,action,sha256,retry_of,before,after,profile\r\n"

static void
ctl_log_csv(FILE *out, const struct db_evrec *r)
{
	const char *cells[] = {r->time_text, r->ref, r->kind, r->queue_id,
			       r->message_id, r->sender, r->recipients,
			       r->client_ip, r->tls ? "true" : "false",
			       r->cls, r->rules, r->action, r->sha256,
			       r->retry_of, r->before, r->after, r->profile};
	size_t i, n = sizeof(cells) / sizeof(cells[0]);

	fprintf(out, "%llu,", (unsigned long long)r->seq);
	for (i = 0; i < n; i++)
		ctl_log_csv_cell(out, cells[i], i + 1 == n);
}

static int
ctl_log_one(struct db_evrec *r, const char *json, size_t len, void *arg)
{
	struct ctl_log *l = arg;

	switch (l->format) {
	case CTL_LOG_TEXT:
		ctl_evrec_print(l->out, r);
		break;
	case CTL_LOG_CSV:
		ctl_log_csv(l->out, r);
		break;
	case CTL_LOG_JSON:
		fputs(l->count ? ",\n" : "[\n", l->out);
		fwrite(json, 1, len, l->out);
		break;
	}
	l->count++;
	return ferror(l->out) ? 1 : 0; /* stop at a write error */
}

/* The options of log into f and l; CTL_EXIT_OK or CTL_EXIT_USAGE. */
static int
ctl_log_options(const struct ctl_command *cmd, int argc, char **argv,
		struct ctl_evfilter *f, struct ctl_log *l)
{
	static const struct option longopts[] = {
		CTL_EVFILTER_LONGOPTS,
		{"format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0}};
	int c, rc;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'f') {
			if (strcmp(optarg, "text") == 0)
				l->format = CTL_LOG_TEXT;
			else if (strcmp(optarg, "csv") == 0)
				l->format = CTL_LOG_CSV;
			else if (strcmp(optarg, "json") == 0)
				l->format = CTL_LOG_JSON;
			else
				return ctl_usage(cmd);
		} else if (c == '?') {
			return ctl_usage(cmd);
		} else if ((rc = ctl_evfilter_option(f, c, optarg)) !=
			   CTL_EXIT_OK) {
			return rc;
		}
	}
	return optind == argc ? CTL_EXIT_OK : ctl_usage(cmd);
}

int
ctl_cmd_log(struct ctl_ctx *ctx, const struct ctl_command *cmd, int argc,
	    char **argv)
{
	struct ctl_evfilter f;
	struct ctl_log l = {CTL_LOG_TEXT, stdout, 0};
	struct db_store *s = NULL;
	uint64_t bad = 0;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = ctl_log_options(cmd, argc, argv, &f, &l)) != CTL_EXIT_OK)
		return rc;
	if ((rc = ctl_store_open(ctx, DB_OPEN_RDONLY, &s)) != CTL_EXIT_OK)
		return rc;
	if (l.format == CTL_LOG_CSV)
		fputs(CTL_LOG_CSV_HEADER, l.out);
	rc = ctl_evrec_walk(s, &f, ctl_log_one, &l, &bad);
	db_close(s);
	if (l.format == CTL_LOG_JSON)
		fputs(l.count ? "\n]\n" : "[]\n", l.out);
	if (fflush(l.out) != 0 || ferror(l.out)) {
		ctl_error("write error on standard output");
		return CTL_EXIT_REFUSED;
	}
	if (rc != DB_OK || bad > 0)
		return CTL_EXIT_REFUSED;
	return CTL_EXIT_OK;
}

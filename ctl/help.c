/*
 * help.c - the text of `consentctl COMMAND --help`: what each subcommand
 * does and what its options mean, printed after its usage line.  The
 * usage lines themselves stay in the dispatch table of main.c; the long
 * form of everything here is consentctl(8).
 *
 * Owns: static text only.  A subcommand without an entry gets the usage
 * line alone (and a pointer to the manual); nothing here can fail.
 */
#include "ctl.h"

#include <string.h>

#define CTL_TIMES "T is 2026-01-02T03:04:05Z, 2026-01-02T04:04:05+01:00, " \
	"2026-01-02\n(midnight UTC) or unix seconds.\n"

struct ctl_help {
	const char *name;
	const char *text;
};

static const struct ctl_help ctl_helps[] = {
	{"init", "Create an empty store in the -d directory (or ConsentDB).\n"},
	{"add", "Add a consent record, pending unless --state says otherwise.\n"
	 "  --state S      pending, confirmed, withdrawn or customer\n"
	 "  --uid U        the sending tool's id for the address\n"
	 "  --ip IP        the IP the consent was given from\n"
	 "  --at T         when it was given (default now)\n"
	 "  --source TXT   where it came from (web form, shop, ...)\n"
	 "  --tracking yes|no  consent to open and click tracking\n"
	 "  --force --reason TEXT  override a refusal of the consent rules\n"
	 "                 (an existing record, a withdrawal); who and why are\n"
	 "                 recorded as consent evidence\n"
	 CTL_TIMES},
	{"confirm", "Record the confirmation click of a double opt-in, by "
	 "address or uid.\n"
	 "  --ip IP        the IP of the click (required)\n"
	 "  --at T         when (default now)\n"
	 "  --force --reason TEXT  confirm a withdrawn record without a new\n"
	 "                 DOI mail; who and why are recorded as evidence\n"
	 CTL_TIMES},
	{"withdraw", "Record a withdrawal; the record stays as proof.\n"
	 "  --at T         when (default now)\n" CTL_TIMES},
	{"show", "Print every field of the record of ADDR.\n"},
	{"import", "Import consent records from CSV; rows merge by time through "
	 "the consent\nrules: a row never undoes a newer withdrawal or "
	 "confirmation.\n"
	 "  --dry-run      print what would change, write nothing\n"
	 "  --force --reason TEXT  apply refused rows; recorded as evidence\n"},
	{"export", "Print every consent record.\n"
	 "  --format csv|json  (default csv)\n"},
	{"evidence", "Print the evidence record with reference REF.\n"},
	{"verify", "Check the evidence hash chain and the personal data kept "
	 "beside it.\n"},
	{"forget", "Erase a data subject (Art. 17 GDPR); verify still "
	 "passes.\n"},
	{"subject", "Print everything stored about ADDR (Art. 15 GDPR).\n"
	 "  --central --pg CONNINFO  the records of every host at the centre\n"
	 "                 (needs EvidenceSubjectKeyFile, read with -c)\n"},
	{"purge", "Remove withdrawn records and evidence older than "
	 "EvidenceRetention days.\n"
	 "  --dry-run      only print what would be removed\n"
	 "  --now T        count the age from T instead of now\n" CTL_TIMES},
	{"ingest-log", "Record DOI confirmations and cancellations from web "
	 "server access logs.\n"
	 "  --confirm-path P  path prefix of the confirmation link\n"
	 "  --cancel-path P   path prefix of the decline link\n"
	 "  --uid-param NAME  query parameter naming the record (default "
	 "uid)\n"},
	{"check", "Lint messages or templates with the milter's policy and "
	 "configuration.\n"
	 "  --from S       envelope sender\n"
	 "  --to R         envelope recipient (repeatable)\n"
	 "  --class C      force the class instead of classifying\n"
	 "  --tracking yes|no  whether the recipients consented to tracking\n"
	 "  --profile NAME|none  brand profile to apply (default: chosen by\n"
	 "                 --from, then the From, as the milter does)\n"
	 "  --format text|json\n"},
	{"log", "List the evidence records that match every filter given.\n"
	 "  --since T, --until T  time range\n"
	 "  --rule R, --action A, --sender S, --recipient R, --class C, "
	 "--kind K\n"
	 "  --profile NAME the records made under this brand profile (text:\n"
	 "                 profile=NAME; csv: the profile column)\n"
	 "  --format text|csv|json\n" CTL_TIMES},
	{"stats", "Count decisions per class, rule, action and day, and per\n"
	 "brand profile when a record names one.\n"
	 "  --since T, --until T  time range\n"
	 "  --format text|openmetrics  openmetrics (or prometheus): the counts,\n"
	 "                 outbox length and replica age for node_exporter's\n"
	 "                 textfile collector\n" CTL_TIMES},
	{"report", "Write a self-contained HTML report of the refusals (and the\n"
	 "decisions per brand profile when a record names one).\n"
	 "  --html FILE    where to write it\n"
	 "  --since T, --until T  time range\n" CTL_TIMES},
	{"audit", "audit withdrawals: each withdrawal (from the moment of the "
	 "click or mail\n"
	 "that caused it), when it reached this store, the first marketing "
	 "mail refused\n"
	 "after it, the time until it was enforced, and every marketing mail "
	 "accepted\n"
	 "for the address after it (each with its evidence ref); then the "
	 "latency\n"
	 "distribution against 48 hours and \"before the next send\".  Exit 3 "
	 "when a\n"
	 "marketing mail was accepted after a withdrawal.\n"
	 "  --since T, --until T  withdrawals whose moment is in this range\n"
	 "  --format text|json\n"
	 "  --central --pg CONNINFO  the withdrawals of the centre's change "
	 "log instead:\n"
	 "                 per host (from the centre's copy of every host's "
	 "evidence)\n"
	 "                 when its withdrawal record arrived there, and "
	 "every marketing\n"
	 "                 mail a host accepted after it (text only; the "
	 "addresses go\n"
	 "                 to the centre as keyed hashes: -c with "
	 "EvidenceSubjectKeyFile)\n" CTL_TIMES},
	{"replay", "Run archived or exported mail (mbox, Maildir or single "
	 "messages) through\n"
	 "the policy as check does, match each message to its evidence record "
	 "by\n"
	 "Message-ID or content hash, and print the recorded and the new "
	 "verdict and\n"
	 "a summary of what would change.\n"
	 "  -c NEWCONF     the config to judge with (default: the current one)\n"
	 "  --format text|json\n"},
	{"follow", "Keep this store a replica of the central PostgreSQL "
	 "database.\n"
	 "  --pg CONNINFO  libpq connection string\n"
	 "  --host NAME    this host's name in the centre (default: host "
	 "name)\n"
	 "  --once         sync once and exit\n"
	 "  --verify       sync once, compare with the centre, name the\n"
	 "                 differing addresses; exit 3 when they differ\n"
	 "  --resync       copy the whole consent table again\n"
	 "  --batch N      changes per transaction (default 1000)\n"
	 "  -v             debug logging on standard error\n"},
	{"status", "Print the replication state and the number of records;\n"
	 "exit 3 when replication needs attention (stopped, dead letters,\n"
	 "older than --max-age, or the last follow --verify differed).\n"},
};

const char *
ctl_help_text(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_helps) / sizeof(ctl_helps[0]); i++)
		if (strcmp(ctl_helps[i].name, name) == 0)
			return ctl_helps[i].text;
	return "";
}

int
ctl_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

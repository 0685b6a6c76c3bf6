/*
 * audit.c - the evidence records consentctl writes about its own consent
 * changes (kind "consent"), so the compliance team can see who changed
 * what and when: add, confirm, withdraw, import, forget, purge and the
 * changes read from web server logs.
 *
 * Owns: the text of each struct ctl_audit (inside the struct, no heap).
 * The address goes into the record's recipients and an IP into its
 * client_ip, so both are kept as keyed hashes in the chain and as
 * plaintext beside it, where `forget` can remove them.  Never prints;
 * callers report a failed append.
 */
#include "ctl.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* The login name of the real user, for the "by=" part of the detail. */
void
ctl_invoking_user(char *out, size_t outsz)
{
	struct passwd pw, *res = NULL;
	const char *sudo = getenv("SUDO_USER");
	char buf[1024];
	size_t n;

	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
		snprintf(out, outsz, "%s", res->pw_name);
	else
		snprintf(out, outsz, "uid %u", (unsigned)getuid());
	n = strlen(out);
	if (sudo && sudo[0] && strcmp(sudo, out) != 0)
		snprintf(out + n, outsz - n, " (sudo by %.64s)", sudo);
}

void
ctl_audit_init(struct ctl_audit *a, int64_t now, const char *action,
	       const char *addr, const char *ip, const char *fmt, ...)
{
	char user[160];
	unsigned int rnd = 0;
	va_list ap;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd ^= (unsigned int)getpid() ^ (unsigned int)now;
	snprintf(a->ref, sizeof(a->ref), "ctl-%08llx-%08x",
		 (unsigned long long)now, rnd);
	snprintf(a->addr, sizeof(a->addr), "%s", addr ? addr : "");
	snprintf(a->ip, sizeof(a->ip), "%s", ip ? ip : "");
	va_start(ap, fmt);
	vsnprintf(a->rules, sizeof(a->rules), fmt, ap);
	va_end(ap);
	ctl_invoking_user(user, sizeof(user));
	n = strlen(a->rules);
	snprintf(a->rules + n, sizeof(a->rules) - n, "%sby=%s",
		 n ? ", " : "", user);
	a->e.time = now;
	a->e.ref = a->ref;
	a->e.kind = "consent";
	a->e.queue_id = "";
	a->e.message_id = "";
	a->e.sender = "";
	a->e.recipients = a->addr;
	a->e.client_ip = a->ip;
	a->e.cls = "";
	a->e.rules = a->rules;
	a->e.action = action;
	a->e.sha256 = "";
}

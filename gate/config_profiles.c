/*
 * config_profiles.c - brand profiles: ProfileDirectory names a directory
 * with one file per profile (the file name is the profile's name), in the
 * config file's own `Key value` syntax.  A profile holds ProfileSenders
 * (the envelope or From addresses and @domains it applies to) and the
 * brand's own legal data: the keys of cfg_profile_keys below, nothing else.
 *
 * Each profile becomes a complete snapshot: the base file parsed again, then
 * the profile's lines on top (a key set in the profile replaces the base's
 * value; lists too).  The profiles are owned by the base snapshot and freed
 * with it, so a reload swaps the base and all its profiles in one step.
 *
 * Fails by reporting through cfg_error() with file:line: an unreadable
 * directory or file, a file name that is no profile name, a key that is
 * unknown or not allowed in a profile, a profile without ProfileSenders, and
 * sender sets of two profiles that overlap (the same entry, or an address
 * in one whose @domain is in the other) - a mail must never have two.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "../common/addr.h"
#include "../common/str.h"
#include "config_int.h"

#define CFG_PROFILES_MAX 256
#define CFG_PROFILE_FILE_MAX (1024 * 1024)

/* What a profile may set besides ProfileSenders. */
static const char *const cfg_profile_keys[] = {
	"ConfirmURL", "DoiCancelURL", "PrivacyURL", "ImprintText",
	"AllowedLinkDomains", "TrackingDomains", "DoiLogoURL",
	"UnsubscribeURL", "ArchiveAddress", "ConsentList",
};

static const struct cfg_key cfg_profile_senders_key = {
	"ProfileSenders", CFG_T_ADDRLIST, 0, "", 0, 0, ""};

/* One ProfileSenders entry, where it was written. */
struct cfg_psender {
	char *entry;
	size_t profile;
	unsigned line;
};

struct cfg_pload {
	struct cfg_psender *v;
	size_t n;
};

void
cfg_profiles_free(struct cfg *c)
{
	size_t i;

	for (i = 0; i < c->nprofiles; i++)
		cfg_unref(c->profiles[i]);
	free(c->profiles);
	c->profiles = NULL;
	c->nprofiles = 0;
	free(c->profile_name);
	c->profile_name = NULL;
	cfg_list_free(&c->profile_senders);
}

static int
cfg_profile_key_allowed(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(cfg_profile_keys) / sizeof(cfg_profile_keys[0]); i++)
		if (strcasecmp(cfg_profile_keys[i], key) == 0)
			return 1;
	return 0;
}

/* The ProfileSenders entries of one line into senders and ld. */
static void
cfg_profile_senders_line(struct cfg_ctx *x, struct pol_list *senders,
			 struct cfg_pload *ld, size_t profile, char *value)
{
	char norm[ADDR_MAX + 1], *tok, *save = NULL;
	const char *entry;
	struct cfg_psender *v;

	for (tok = strtok_r(value, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		tok = str_trim(tok);
		if (*tok == '\0')
			continue;
		entry = cfg_list_address(x, &cfg_profile_senders_key, tok, norm,
					 sizeof(norm));
		if (entry == NULL)
			continue;
		v = realloc(ld->v, (ld->n + 1) * sizeof(*v));
		if (v == NULL || cfg_list_add(senders, entry) < 0) {
			ld->v = v ? v : ld->v;
			cfg_error(x, "out of memory");
			return;
		}
		ld->v = v;
		v[ld->n].entry = senders->v[senders->n - 1];
		v[ld->n].profile = profile;
		v[ld->n++].line = x->line;
	}
}

/*
 * Walk the profile's lines: take ProfileSenders into senders, report keys
 * a profile may not set, and turn both kinds of line into comments so the
 * config parser then reads only the allowed keys (line numbers unchanged).
 */
static void
cfg_profile_prescan(struct cfg_ctx *x, char *text, struct pol_list *senders,
		    struct cfg_pload *ld, size_t profile)
{
	char line[CFG_LINE_MAX + 1], *start, *next, *key, *value, *p;
	size_t n, nkeys;
	const struct cfg_key *keys = cfg_keys(&nkeys);

	x->line = 0;
	if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3; /* a UTF-8 byte order mark, as the parser skips it */
	for (start = text; start; start = next) {
		x->line++;
		next = strchr(start, '\n');
		n = next ? (size_t)(next - start) : strlen(start);
		if (next)
			next++;
		snprintf(line, sizeof(line), "%.*s", (int)n, start);
		key = str_trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		for (p = key; *p && *p != ' ' && *p != '\t'; p++)
			;
		value = str_trim(p);
		*p = '\0';
		if (strcasecmp(key, "ProfileSenders") == 0) {
			for (p = value; *p; p++)
				if (*p == '#' && (p == value || p[-1] == ' ' ||
						  p[-1] == '\t'))
					*p = '\0';
			cfg_profile_senders_line(x, senders, ld, profile, value);
		} else if (cfg_profile_key_allowed(key)) {
			continue;
		} else {
			while (nkeys > 0 && strcasecmp(keys[nkeys - 1].name, key))
				nkeys--;
			if (nkeys > 0 || strncasecmp(key, "RuleAction.", 11) == 0)
				cfg_error(x, "%s cannot be set in a profile (only "
					  "ProfileSenders, ConfirmURL, DoiCancelURL, "
					  "PrivacyURL, ImprintText, AllowedLinkDomains, "
					  "TrackingDomains, DoiLogoURL, UnsubscribeURL, "
					  "ArchiveAddress and ConsentList)", key);
			else
				cfg_error(x, "unknown key '%s' in a profile", key);
			keys = cfg_keys(&nkeys);
		}
		/* The config parser skips the line from here on. */
		start[strspn(start, " \t")] = '#';
	}
	x->line = 0;
}

/* Read one regular file (at most CFG_PROFILE_FILE_MAX); NULL reported. */
static char *
cfg_profile_read(struct cfg_ctx *x, const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;

	if (f == NULL) {
		cfg_error(x, "cannot open: %s", strerror(errno));
		return NULL;
	}
	text = malloc(CFG_PROFILE_FILE_MAX + 1);
	if (text == NULL) {
		fclose(f);
		cfg_error(x, "out of memory");
		return NULL;
	}
	n = fread(text, 1, CFG_PROFILE_FILE_MAX + 1, f);
	if (ferror(f) || n > CFG_PROFILE_FILE_MAX || memchr(text, '\0', n)) {
		cfg_error(x, ferror(f) ? "read error"
			  : n > CFG_PROFILE_FILE_MAX ? "file too large"
			  : "contains a NUL byte");
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	text[n] = '\0';
	return text;
}

/* Build the profile in file name of c's ProfileDirectory; 0 or -1. */
static int
cfg_profile_one(struct cfg_ctx *bx, struct cfg *c, const char *base_text,
		const char *name, struct cfg_pload *ld)
{
	char path[4096], *text;
	struct cfg_ctx px = {path, 0, bx->errors, 0};
	struct pol_list senders = {NULL, 0};
	struct cfg *p = NULL;
	size_t nsenders0 = ld->n;

	snprintf(path, sizeof(path), "%s/%s", c->profile_directory, name);
	if ((text = cfg_profile_read(&px, path)) != NULL) {
		cfg_profile_prescan(&px, text, &senders, ld, c->nprofiles);
		p = cfg_parse_overlay(c->path, base_text, &px, text);
		free(text);
	}
	if (p && senders.n == 0)
		cfg_error(&px, "ProfileSenders missing: the profile applies to "
			  "no mail");
	if (p == NULL || px.nerrors) {
		bx->nerrors += px.nerrors ? px.nerrors : 1;
		ld->n = nsenders0;
		cfg_list_free(&senders);
		cfg_unref(p);
		return -1;
	}
	p->profile_senders = senders;
	free(p->path);
	p->path = strdup(path);
	p->profile_name = strdup(name);
	if (p->path == NULL || p->profile_name == NULL) {
		cfg_unref(p);
		ld->n = nsenders0;
		return cfg_error(bx, "out of memory"), -1;
	}
	c->profiles[c->nprofiles++] = p;
	return 0;
}

/* Does entry a (address or @domain) share a sender with entry b? */
static int
cfg_entries_overlap(const char *a, const char *b)
{
	if (strcasecmp(a, b) == 0)
		return 1;
	if (a[0] == '@' && b[0] != '@')
		return strcasecmp(addr_domain(b), a + 1) == 0;
	if (b[0] == '@' && a[0] != '@')
		return strcasecmp(addr_domain(a), b + 1) == 0;
	return 0;
}

/* Sender sets of two profiles must not overlap. */
static void
cfg_profiles_overlap(struct cfg_ctx *x, const struct cfg *c,
		     const struct cfg_pload *ld)
{
	size_t i, j;

	for (i = 0; i < ld->n; i++)
		for (j = 0; j < i; j++) {
			const struct cfg_psender *a = &ld->v[j], *b = &ld->v[i];
			struct cfg_ctx bx = {c->profiles[b->profile]->path, b->line,
					     x->errors, 0};

			if (a->profile == b->profile ||
			    !cfg_entries_overlap(a->entry, b->entry))
				continue;
			cfg_error(&bx, "ProfileSenders: '%s' overlaps '%s' of profile "
				  "%s (%s:%u): a sender may belong to one profile "
				  "only", b->entry, a->entry,
				  c->profiles[a->profile]->profile_name,
				  c->profiles[a->profile]->path, a->line);
			x->nerrors++;
		}
}

/* Profile names: the file names, listed by scandir. */
static int
cfg_profile_dirent(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int
cfg_profiles_load(struct cfg_ctx *x, struct cfg *c, const char *base_text)
{
	struct dirent **names = NULL;
	struct cfg_pload ld = {NULL, 0};
	char path[4096];
	struct stat st;
	int n, i, nerr0 = x->nerrors;

	x->line = 0;
	n = scandir(c->profile_directory, &names, cfg_profile_dirent, alphasort);
	if (n < 0)
		return cfg_error(x, "ProfileDirectory: cannot read %s: %s",
				 c->profile_directory, strerror(errno)), -1;
	c->profiles = calloc(n ? (size_t)n : 1, sizeof(*c->profiles));
	if (c->profiles == NULL)
		cfg_error(x, "out of memory");
	else if (n > CFG_PROFILES_MAX)
		cfg_error(x, "ProfileDirectory: more than %d profiles",
			  CFG_PROFILES_MAX);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", c->profile_directory,
			 names[i]->d_name);
		if (c->profiles == NULL || n > CFG_PROFILES_MAX)
			break;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			cfg_error(x, "ProfileDirectory: %s is not a regular file",
				  path);
		else if (!cfg_list_name_valid(names[i]->d_name))
			cfg_error(x, "ProfileDirectory: %s: a profile's file name "
				  "is its name: 1-%d of a-z, 0-9, '.', '_', '-'",
				  path, CFG_LIST_NAME_MAX);
		else
			cfg_profile_one(x, c, base_text, names[i]->d_name, &ld);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (x->nerrors == nerr0)
		cfg_profiles_overlap(x, c, &ld);
	free(ld.v);
	return x->nerrors == nerr0 ? 0 : -1;
}

struct cfg *
cfg_profile_for(const struct cfg *c, const char *addr)
{
	size_t i;

	if (c == NULL || addr == NULL || *addr == '\0')
		return NULL;
	for (i = 0; i < c->nprofiles; i++)
		if (addr_match_list(addr, c->profiles[i]->profile_senders.v,
				    c->profiles[i]->profile_senders.n))
			return c->profiles[i];
	return NULL;
}

struct cfg *
cfg_profile_select(const struct cfg *c, const char *sender, const char *from)
{
	struct cfg *p = cfg_profile_for(c, sender);

	return p ? p : cfg_profile_for(c, from);
}

struct cfg *
cfg_profile_named(const struct cfg *c, const char *name)
{
	size_t i;

	for (i = 0; c && name && i < c->nprofiles; i++)
		if (strcmp(c->profiles[i]->profile_name, name) == 0)
			return c->profiles[i];
	return NULL;
}

const char *
cfg_profile_name(const struct cfg *c)
{
	return c && c->profile_name ? c->profile_name : "";
}

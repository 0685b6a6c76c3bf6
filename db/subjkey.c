/*
 * subjkey.c - the deployment's subject keys (EvidenceSubjectKeyFile): one
 * secret shared by the hosts of a deployment, so that every host and the
 * centre compute the same keyed hash of an address, and the retired keys
 * kept to verify and find records hashed before a rotation.
 *
 * The file holds one key a line as 64 hex digits (32 bytes), the current
 * key first; blank lines and lines starting with '#' are skipped.  It must
 * be a regular file (not a symlink) that others cannot read.  A key's id is
 * the first 16 hex digits of HMAC-SHA256(key, "consentgate subject key");
 * records hashed with it name the id ("key_id"), so verify picks the key.
 *
 * Owns: the keys inside struct db_store (wiped by db_close); the file is
 * read once and closed.  Never logs; errors are explained in err.
 */
#include "evpii.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DB_SUBJ_ID_LABEL "consentgate subject key"

/* The id of key into id (DB_SUBJ_ID_HEX + 1 bytes). */
static void
db_subject_key_id(const unsigned char *key, char *id)
{
	const char *label = DB_SUBJ_ID_LABEL;
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, DB_PII_KEY_LEN);

	id[0] = '\0';
	if (h == NULL)
		return;
	g_hmac_update(h, (const guchar *)label, (gssize)strlen(label));
	snprintf(id, DB_SUBJ_ID_HEX + 1, "%s", g_hmac_get_string(h));
	g_hmac_unref(h);
}

/* One line of 64 hex digits into key: 0, or -1. */
static int
db_subject_key_line(const char *line, unsigned char *key)
{
	unsigned v;
	int i;

	if (strspn(line, "0123456789abcdefABCDEF") != 2 * DB_PII_KEY_LEN ||
	    line[2 * DB_PII_KEY_LEN] != '\0')
		return -1;
	for (i = 0; i < DB_PII_KEY_LEN; i++) {
		if (sscanf(line + 2 * i, "%2x", &v) != 1)
			return -1;
		key[i] = (unsigned char)v;
	}
	return 0;
}

/* Open path for reading if it is a private regular file. */
static FILE *
db_subject_key_open(const char *path, char *err, size_t errsz)
{
	struct stat st;
	FILE *f;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "EvidenceSubjectKeyFile %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & S_IRWXO)) {
		snprintf(err, errsz, "EvidenceSubjectKeyFile %s: must be a "
			 "regular file that others cannot read (mode 0440)",
			 path);
		close(fd);
		return NULL;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errsz, "EvidenceSubjectKeyFile %s: %s", path,
			 strerror(errno));
		close(fd);
	}
	return f;
}

int
db_subject_keys_load(struct db_store *s, const char *path, char *err,
		     size_t errsz)
{
	char line[256];
	size_t n = 0, len, lineno = 0;
	FILE *f;
	int rc = DB_OK;

	if (path == NULL || path[0] == '\0')
		return DB_OK;
	if ((f = db_subject_key_open(path, err, errsz)) == NULL)
		return DB_ERR_IO;
	while (rc == DB_OK && fgets(line, sizeof(line), f)) {
		lineno++;
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (n == DB_SUBJ_KEYS_MAX ||
		    db_subject_key_line(line, s->subj_key[n]) < 0) {
			snprintf(err, errsz, "EvidenceSubjectKeyFile %s line "
				 "%zu: %s", path, lineno, n == DB_SUBJ_KEYS_MAX
				 ? "more keys than a store keeps (8)"
				 : "not a key of 64 hex digits");
			rc = DB_ERR_CORRUPT;
			break;
		}
		db_subject_key_id(s->subj_key[n], s->subj_id[n]);
		n++;
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	if (rc == DB_OK && n == 0) {
		snprintf(err, errsz, "EvidenceSubjectKeyFile %s: no key", path);
		rc = DB_ERR_CORRUPT;
	}
	if (rc != DB_OK) {
		explicit_bzero(s->subj_key, sizeof(s->subj_key));
		n = 0;
	}
	s->nsubj = n;
	return rc;
}

const unsigned char *
db_pii_key_for(const struct db_store *s, const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0')
		return s->pii_key;
	for (i = 0; i < s->nsubj; i++)
		if (strcmp(s->subj_id[i], id) == 0)
			return s->subj_key[i];
	return NULL;
}

const unsigned char *
db_pii_write_key(const struct db_store *s, const char **id)
{
	if (s->nsubj == 0) {
		*id = "";
		return s->pii_key;
	}
	*id = s->subj_id[0];
	return s->subj_key[0];
}

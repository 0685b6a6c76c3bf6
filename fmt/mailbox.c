/*
 * mailbox.c - reading mbox files, Maildirs and single message files
 * (mailbox.h), and the milter's form of a message for its SHA-256.
 *
 * Owns: the bytes of the file being read (GLib), the GMime parser and
 * stream of an mbox, one unescaped message at a time.  Fails with -1 and
 * a sentence in err when a path cannot be read; a message GMime cannot
 * parse ends the mbox (what was read stays read).
 */
#include "mailbox.h"

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/buf.h"

/* The Message-ID of GMime's model (without <>), "" when none. */
static const char *
fmt_msgid(GMimeMessage *m)
{
	const char *id = m ? g_mime_message_get_message_id(m) : NULL;

	return id ? id : "";
}

/* The Message-ID of one message's text. */
static char *
fmt_msgid_of(const char *data, size_t len)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	char *id = g_strdup(fmt_msgid(m));

	if (m)
		g_object_unref(m);
	g_object_unref(p);
	g_object_unref(st);
	return id;
}

static int
fmt_one(const char *name, const char *data, size_t len, fmt_mail_cb cb,
	void *arg)
{
	char *id = fmt_msgid_of(data, len);
	struct fmt_mail m = {name, data, len, id};
	int rc = cb(&m, arg);

	g_free(id);
	return rc;
}

/* data[0..len) with one '>' taken from each line matching ">+From ",
 * and one trailing blank line (the mbox separator) dropped. */
static void
fmt_unescape(const char *data, size_t len, struct buf *out)
{
	size_t i = 0, e;

	buf_reset(out);
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);

		e = nl ? (size_t)(nl - data) + 1 : len;
		if (data[i] == '>') {
			size_t j = i;

			while (j < e && data[j] == '>')
				j++;
			if (e - j >= 5 && memcmp(data + j, "From ", 5) == 0)
				i++;
		}
		buf_append(out, data + i, e - i);
		i = e;
	}
	if (out->len >= 2 && memcmp(out->data + out->len - 2, "\n\n", 2) == 0)
		out->len--;
	else if (out->len >= 4 &&
		 memcmp(out->data + out->len - 4, "\r\n\r\n", 4) == 0)
		out->len -= 2;
}

/* Each message of the mbox text data with GMime's mbox parser. */
static int
fmt_mbox(const char *path, const char *data, size_t len, fmt_mail_cb cb,
	 void *arg)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	struct buf one = BUF_INIT;
	int rc = 0, n = 0;

	g_mime_parser_set_format(p, GMIME_FORMAT_MBOX);
	while (rc == 0 && !g_mime_parser_eos(p)) {
		GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
		gint64 b = g_mime_parser_get_headers_begin(p);
		gint64 e = g_mime_parser_tell(p);
		char name[4200];

		if (m == NULL)
			break;
		if (b >= 0 && e >= b && (size_t)e <= len) {
			fmt_unescape(data + b, (size_t)(e - b), &one);
			snprintf(name, sizeof(name), "%s#%d", path, ++n);
			struct fmt_mail mail = {name, one.data ? one.data : "",
						one.len, fmt_msgid(m)};
			rc = cb(&mail, arg);
		}
		g_object_unref(m);
	}
	buf_free(&one);
	g_object_unref(p);
	g_object_unref(st);
	return rc;
}

static int
fmt_file(const char *path, int single, fmt_mail_cb cb, void *arg, char *err,
	 size_t errsz)
{
	gchar *data = NULL;
	gsize len = 0;
	GError *ge = NULL;
	int rc;

	if (!g_file_get_contents(path, &data, &len, &ge)) {
		snprintf(err, errsz, "%s: %s", path, ge->message);
		g_error_free(ge);
		return -1;
	}
	if (!single && len >= 5 && memcmp(data, "From ", 5) == 0)
		rc = fmt_mbox(path, data, len, cb, arg);
	else
		rc = fmt_one(path, data, len, cb, arg);
	g_free(data);
	return rc;
}

static gint
fmt_by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of one Maildir folder (cur or new), sorted; absent is empty. */
static int
fmt_maildir_sub(const char *dir, const char *sub, fmt_mail_cb cb, void *arg,
		char *err, size_t errsz)
{
	char *path = g_build_filename(dir, sub, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	DIR *d = opendir(path);
	struct dirent *de;
	guint i;
	int rc = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			g_ptr_array_add(names, g_build_filename(path,
						de->d_name, NULL));
	if (d != NULL)
		closedir(d);
	g_ptr_array_sort(names, fmt_by_name);
	for (i = 0; rc == 0 && i < names->len; i++)
		rc = fmt_file(g_ptr_array_index(names, i), 1, cb, arg, err,
			      errsz);
	g_ptr_array_unref(names);
	g_free(path);
	return rc;
}

int
fmt_mailbox_read(const char *path, fmt_mail_cb cb, void *arg, char *err,
		 size_t errsz)
{
	struct stat st;
	int rc;

	if (stat(path, &st) != 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return fmt_file(path, 0, cb, arg, err, errsz);
	rc = fmt_maildir_sub(path, "cur", cb, arg, err, errsz);
	if (rc == 0)
		rc = fmt_maildir_sub(path, "new", cb, arg, err, errsz);
	return rc;
}

/* One line of data from *i (without its LF or CRLF) into *s, *n. */
static int
fmt_line(const char *data, size_t len, size_t *i, const char **s, size_t *n)
{
	const char *nl;
	size_t e;

	if (*i >= len)
		return 0;
	nl = memchr(data + *i, '\n', len - *i);
	e = nl ? (size_t)(nl - data) : len;
	*s = data + *i;
	*n = e - *i;
	if (*n > 0 && (*s)[*n - 1] == '\r')
		(*n)--;
	*i = nl ? e + 1 : len;
	return 1;
}

/* A header field's first line name: value -> "Name: value" less one
 * space after the colon (and blanks before it). */
static void
fmt_header_start(struct buf *b, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t k, v;

	if (colon == NULL) {
		buf_append(b, s, n);
		return;
	}
	k = (size_t)(colon - s);
	while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	v = (size_t)(colon - s) + 1;
	if (v < n && s[v] == ' ')
		v++;
	buf_append(b, s, k);
	buf_puts(b, ": ");
	buf_append(b, s + v, n - v);
}

void
fmt_milter_sha256(const char *data, size_t len, char out[65])
{
	struct buf b = BUF_INIT;
	const char *s;
	size_t i = 0, n;
	int in_head = 1, open = 0;
	gchar *hex;

	while (fmt_line(data, len, &i, &s, &n)) {
		if (in_head && n == 0) {
			if (open)
				buf_puts(&b, "\r\n");
			buf_puts(&b, "\r\n");
			in_head = 0;
		} else if (in_head && open && (s[0] == ' ' || s[0] == '\t')) {
			buf_putc(&b, '\n');
			buf_append(&b, s, n);
		} else if (in_head) {
			if (open)
				buf_puts(&b, "\r\n");
			fmt_header_start(&b, s, n);
			open = 1;
		} else {
			buf_append(&b, s, n);
			buf_puts(&b, "\r\n");
		}
	}
	if (in_head) {
		if (open)
			buf_puts(&b, "\r\n");
		buf_puts(&b, "\r\n");
	}
	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
					  (const guchar *)(b.data ? b.data : ""),
					  b.len);
	snprintf(out, 65, "%s", hex ? hex : "");
	g_free(hex);
	buf_free(&b);
}

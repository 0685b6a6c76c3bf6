/*
 * logread.c - read web server access logs line by line for `consentctl
 * ingest-log`, plain or gzip-compressed (a rotated "access.log.2.gz"), and
 * hold the list of link-scanner user agents.
 *
 * Decompression is GLib's GZlibDecompressor, fed from stdio in blocks; a
 * file of several gzip members (cat a.gz b.gz) is read through.  A file is
 * compressed when it starts with the gzip magic bytes, whatever its name.
 * The scanner list is ctl/scanner-agents.txt, compiled in by
 * scripts/embed.sh, plus the lines of files the admin names.
 *
 * Owns: the FILE of each opened log (not standard input), its converter
 * and buffers, and each agent list; all freed by ctl_logfile_close and
 * ctl_agents_free.  Never logs: errors come back as text for the caller.
 */
#include "logread.h"

#include <errno.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CTL_LOG_BLOCK 65536

struct ctl_logfile {
	FILE *f;
	const char *name;
	GConverter *gz;           /* NULL: plain text */
	unsigned char in[CTL_LOG_BLOCK];
	size_t inlen, inpos;
	GString *text;            /* decoded bytes not yet returned */
	size_t textpos;
	int eof;                  /* input exhausted and flushed */
	int member_done;          /* a gzip member ended, no byte since */
};

struct ctl_logfile *
ctl_logfile_open(const char *name, char *err, size_t errsz)
{
	struct ctl_logfile *lf = g_new0(struct ctl_logfile, 1);

	lf->name = name;
	lf->f = strcmp(name, "-") == 0 ? stdin : fopen(name, "rb");
	if (lf->f == NULL) {
		snprintf(err, errsz, "cannot open %s: %s", name,
			 strerror(errno));
		g_free(lf);
		return NULL;
	}
	lf->text = g_string_new(NULL);
	/* The first block tells whether the file is gzip. */
	lf->inlen = fread(lf->in, 1, sizeof(lf->in), lf->f);
	if (lf->inlen >= 2 && lf->in[0] == 0x1f && lf->in[1] == 0x8b)
		lf->gz = G_CONVERTER(
			g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP));
	return lf;
}

/* Decode what is in lf->in into lf->text; at the end, flush.  0 or -1. */
static int
ctl_logfile_inflate(struct ctl_logfile *lf, int at_end, char *err,
		    size_t errsz)
{
	char out[CTL_LOG_BLOCK];
	GError *e = NULL;
	gsize rd, wr;
	GConverterResult r;

	for (;;) {
		r = g_converter_convert(lf->gz, lf->in + lf->inpos,
					lf->inlen - lf->inpos, out, sizeof(out),
					at_end ? G_CONVERTER_INPUT_AT_END : 0,
					&rd, &wr, &e);
		if (r == G_CONVERTER_ERROR) {
			if (!at_end && g_error_matches(e, G_IO_ERROR,
						       G_IO_ERROR_PARTIAL_INPUT)) {
				g_error_free(e);
				return 0; /* more input is needed */
			}
			snprintf(err, errsz, "%s: not readable as gzip: %s",
				 lf->name, e ? e->message : "error");
			g_clear_error(&e);
			return -1;
		}
		lf->inpos += rd;
		if (rd > 0)
			lf->member_done = 0;
		g_string_append_len(lf->text, out, (gssize)wr);
		if (r == G_CONVERTER_FINISHED) {
			lf->member_done = 1;
			/* Another gzip member may follow. */
			g_converter_reset(lf->gz);
			if (lf->inpos == lf->inlen)
				return 0;
			continue;
		}
		if (lf->inpos == lf->inlen && (wr == 0 || !at_end))
			return 0;
	}
}

/* Read the next block into lf->text.  0, or -1 on an error. */
static int
ctl_logfile_fill(struct ctl_logfile *lf, char *err, size_t errsz)
{
	if (lf->inpos == lf->inlen) {
		lf->inpos = 0;
		lf->inlen = fread(lf->in, 1, sizeof(lf->in), lf->f);
		if (lf->inlen == 0 && ferror(lf->f)) {
			snprintf(err, errsz, "read error on %s", lf->name);
			return -1;
		}
	}
	if (lf->gz == NULL) {
		g_string_append_len(lf->text, (const char *)lf->in,
				    (gssize)lf->inlen);
		lf->eof = lf->inlen == 0;
		lf->inpos = lf->inlen;
		return 0;
	}
	if (lf->inlen == 0) {
		lf->eof = 1;
		/* After a complete member there is nothing left to flush. */
		return lf->member_done ? 0 : ctl_logfile_inflate(lf, 1, err,
								  errsz);
	}
	return ctl_logfile_inflate(lf, 0, err, errsz);
}

int
ctl_logfile_line(struct ctl_logfile *lf, GString *line, char *err,
		 size_t errsz)
{
	const char *p, *nl;

	for (;;) {
		p = lf->text->str + lf->textpos;
		nl = memchr(p, '\n', lf->text->len - lf->textpos);
		if (nl || (lf->eof && lf->textpos < lf->text->len)) {
			size_t n = nl ? (size_t)(nl - p)
				      : lf->text->len - lf->textpos;

			g_string_assign(line, "");
			g_string_append_len(line, p, (gssize)n);
			lf->textpos += n + (nl != NULL);
			return 1;
		}
		if (lf->eof)
			return 0;
		/* Drop what was returned before reading more. */
		g_string_erase(lf->text, 0, (gssize)lf->textpos);
		lf->textpos = 0;
		if (ctl_logfile_fill(lf, err, errsz) < 0)
			return -1;
	}
}

void
ctl_logfile_close(struct ctl_logfile *lf)
{
	if (lf == NULL)
		return;
	if (lf->f && lf->f != stdin)
		fclose(lf->f);
	if (lf->gz)
		g_object_unref(lf->gz);
	g_string_free(lf->text, TRUE);
	g_free(lf);
}

/* The shipped list (generated from ctl/scanner-agents.txt). */
extern const char ctl_builtin_scanner_agents[];

struct ctl_agents {
	GPtrArray *v; /* lower-case entries, g_free'd */
};

/* Add each entry of text (lines; '#' comments). */
static void
ctl_agents_add_text(struct ctl_agents *a, const char *text)
{
	gchar **lines = g_strsplit(text, "\n", -1);

	for (gchar **l = lines; *l; l++) {
		gchar *s = g_strstrip(*l);

		if (*s == '\0' || *s == '#')
			continue;
		g_ptr_array_add(a->v, g_ascii_strdown(s, -1));
	}
	g_strfreev(lines);
}

struct ctl_agents *
ctl_agents_new(void)
{
	struct ctl_agents *a = g_new0(struct ctl_agents, 1);

	a->v = g_ptr_array_new_with_free_func(g_free);
	ctl_agents_add_text(a, ctl_builtin_scanner_agents);
	return a;
}

int
ctl_agents_add_file(struct ctl_agents *a, const char *path, char *err,
		    size_t errsz)
{
	GError *e = NULL;
	gchar *text;

	if (!g_file_get_contents(path, &text, NULL, &e)) {
		snprintf(err, errsz, "%s", e ? e->message : path);
		g_clear_error(&e);
		return -1;
	}
	ctl_agents_add_text(a, text);
	g_free(text);
	return 0;
}

const char *
ctl_agents_match(const struct ctl_agents *a, const char *agent)
{
	guint i;

	if (agent == NULL || *agent == '\0' || strcmp(agent, "-") == 0)
		return NULL;
	for (i = 0; i < a->v->len; i++)
		if (strcasestr(agent, g_ptr_array_index(a->v, i)))
			return g_ptr_array_index(a->v, i);
	return NULL;
}

void
ctl_agents_free(struct ctl_agents *a)
{
	if (a == NULL)
		return;
	g_ptr_array_free(a->v, TRUE);
	g_free(a);
}

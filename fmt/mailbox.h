/*
 * mailbox.h - messages read from archives and exports: an mbox file (From_
 * lines, >From unescaped), a Maildir (the files of cur/ and new/) or one
 * message per file; and the SHA-256 the milter records for a message
 * (evidence "sha256"), computed from the message as a file holds it.
 */
#ifndef CG_FMT_MAILBOX_H
#define CG_FMT_MAILBOX_H

#include <stddef.h>

/* One message (all borrowed until the callback returns). */
struct fmt_mail {
	const char *name;       /* "FILE", "FILE#N" (N-th of an mbox, from
				 * 1) or "DIR/cur/NAME" */
	const char *data;       /* the message as RFC 5322 text */
	size_t len;
	const char *message_id; /* its Message-ID without <>, or "" */
};

/* Called per message; non-zero stops the read with that value. */
typedef int (*fmt_mail_cb)(const struct fmt_mail *m, void *arg);

/*
 * Read path: a directory with cur/ or new/ is a Maildir (files of cur/ then
 * new/, each sorted by name; dot files skipped), a file whose first line
 * starts with "From " an mbox (messages split with GMime's mbox parser,
 * the From_ line and the blank line before the next one removed, one '>'
 * taken from each line matching ">+From "), any other file one message.
 * GMime must be initialised (pol_init).  Returns 0, cb's non-zero value,
 * or -1 with err set (cannot read path).
 */
int fmt_mailbox_read(const char *path, fmt_mail_cb cb, void *arg, char *err,
		     size_t errsz);

/*
 * The SHA-256 (lower-case hex, 65 bytes with the NUL) of len bytes at data
 * in the form the milter hashes (milter/callbacks.c, eom.c): each header
 * field as "Name: value\r\n" where value is the text after the colon less
 * one leading space and the lines of a folded field are joined by "\n"
 * (as Postfix and Sendmail hand headers to a milter), then "\r\n", then
 * every body line followed by "\r\n".  LF and CRLF files give the same
 * hash.  Mail changed on the way (Received, Return-Path or X-Consent-Gate
 * added by a later hop or the gate) hashes differently; match it by
 * Message-ID.  out is "" when memory ran out.
 */
void fmt_milter_sha256(const char *data, size_t len, char out[65]);

#endif

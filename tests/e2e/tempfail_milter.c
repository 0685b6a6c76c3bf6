/*
 * tempfail_milter.c - a tiny libmilter filter for the end-to-end tests: it
 * answers 451 4.3.0 at end of message while a flag file exists, and
 * accepts otherwise.  Placed after consentgate in smtpd_milters it makes
 * Postfix refuse a mail with 4xx AFTER consentgate passed it, as a queue
 * file write error or any later milter may.
 *
 *   tempfail_milter inet:PORT@127.0.0.1 FLAGFILE
 *
 * Owns nothing beyond libmilter's own state; every callback but end of
 * message is left out, so the MTA sends only what it must.  Prints its
 * failures to stderr and exits 1; the test script stops it by pid.
 * Build: cc -o tempfail_milter tempfail_milter.c $(pkg-config --cflags
 * --libs milter) -lpthread
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

static const char *tf_flag;

static sfsistat
tf_eom(SMFICTX *ctx)
{
	if (access(tf_flag, F_OK) != 0)
		return SMFIS_ACCEPT;
	smfi_setreply(ctx, "451", "4.3.0", "test milter after consentgate: "
					  "try again later");
	return SMFIS_TEMPFAIL;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s inet:PORT@127.0.0.1 FLAGFILE\n",
			argv[0]);
		return 2;
	}
	tf_flag = argv[2];
	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = "tempfail_milter";
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_eom = tf_eom;
	if (smfi_setconn(argv[1]) == MI_FAILURE ||
	    smfi_register(desc) == MI_FAILURE ||
	    smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "tempfail_milter: cannot listen on %s\n",
			argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}

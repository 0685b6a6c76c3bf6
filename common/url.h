/*
 * url.h - the one URL parser of consentgate, shared by policy/ and ctl/.
 *
 * Syntax comes from GLib's GUri; hosts are percent-decoded and mapped with
 * UTS #46 (libidn2) to lower-case A-labels without a trailing dot.  Before
 * parsing, a URL is read the way a browser reads an href: ASCII tab and
 * newline are dropped, surrounding spaces trimmed, a backslash in an http(s)
 * URL is a slash, "www." without a scheme is http, and characters a URL
 * may not hold are percent-encoded.  Host matching is by label boundary
 * ("a.example.org" is under "example.org"; "example.org.evil.net" and
 * "example.org@evil.net" are not).  "The same URL" is the normalised URL:
 * scheme and host case-folded and mapped, default port and fragment
 * dropped, path and query as written.
 * Pure functions; results go into caller buffers or are malloc'd (said per
 * function).  Nothing is logged.
 */
#ifndef CG_URL_H
#define CG_URL_H

#include <stddef.h>

#define URL_HOST_MAX 256

/*
 * Host of url into host (URL_HOST_MAX bytes): A-labels, lower case.  A
 * mailto: URL gives the domain of its (first) address; an IPv6 literal
 * comes without brackets.  Returns 0, or -1
 * when url has no host or it is not a valid domain name or IP literal (host
 * is then "").
 */
int url_host(const char *url, char *host, size_t hostsz);

/*
 * A domain as written in a config list or an address ("Bücher.Example.",
 * "@shop.example", "xn--bcher-kva.example") mapped like a URL host into out.
 * Returns 0 or -1.
 */
int url_domain_normalise(const char *domain, char *out, size_t outsz);
/* The Unicode form (U-labels) of a domain with an "xn--" label into out
 * (outsz bytes): 0, or -1 when it has none or cannot be converted. */
int url_domain_unicode(const char *domain, char *out, size_t outsz);

/* 1 when host equals domain or is a subdomain of it (both are normalised
 * here, so either form may be passed), else 0. */
int url_host_in_domain(const char *host, const char *domain);

/* The same for a host and a domain both already normalised
 * (url_domain_normalise): a suffix comparison, no mapping. */
int url_normal_host_in_domain(const char *host, const char *domain);

/*
 * The normalised form of url (see the top of the file), malloc'd; the
 * caller frees it.  NULL when url does not parse or memory ran out.
 */
char *url_normalise(const char *url);

/*
 * 1 when url lies under prefix: both normalised, the same scheme, host and
 * port, and the normalised url starts with the normalised prefix at a
 * boundary (the prefix ends in '/', '?', '&' or '=', or the url goes on
 * with '/', '?', '#' or ends there; after a prefix with a query, with '&',
 * ';' or '#'), so ".../confirm" does not cover ".../confirmation-page" and
 * "...?controller=verify" covers "...?controller=verify&token=1".  A prefix
 * with a query also covers a url with the same scheme, host, port and path
 * whose query holds each of the prefix's parameters (name=value) in any
 * order, its last parameter with an empty value ("&token=") any value:
 * ".../members/?action=signup" covers ".../members/?token=X&action=signup".
 * 0 otherwise, also when either does not parse.
 */
int url_has_prefix(const char *url, const char *prefix);
/* The same for a url normalised already (url_normalise's result), so a
 * caller that keeps it normalises each link once. */
int url_normal_has_prefix(const char *norm_url, const char *prefix);

/*
 * The value of query parameter name (compared exactly) of url,
 * percent-decoded ('+' is a space), into out.  Returns 1 when found with a
 * value that fits, 0 when absent, empty or too long.
 */
int url_query_param(const char *url, const char *name, char *out,
		    size_t outsz);

/* 1 when url's scheme is scheme ("https", "mailto"; case-insensitive). */
int url_scheme_is(const char *url, const char *scheme);

#endif

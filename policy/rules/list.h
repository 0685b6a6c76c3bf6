/*
 * list.h - the rule catalogue: one line per rule, in evaluation order.
 *
 * POL_RULE_DEF(NAME, sym) names the enum constant POL_RULE_NAME
 * (catalogue.h) and the definition pol_rule_sym, a const struct
 * pol_rule_def (rules.h) the rule's own file exports with its id, reply
 * sentence, classes, default action and entry point.  Adding a rule is its
 * file, one line here, and its documentation.  Included only by
 * catalogue.h (the enum) and catalogue.c (the table); no include guard.
 */
POL_RULE_DEF(LIMIT, message_limit)
POL_RULE_DEF(CONSENT_MISSING, consent_missing)
POL_RULE_DEF(CONSENT_WITHDRAWN, consent_withdrawn)
POL_RULE_DEF(CONSENT_SCOPE, consent_scope)
POL_RULE_DEF(TLS_REQUIRED, tls_required)
POL_RULE_DEF(SPF_FAIL, spf_fail)
POL_RULE_DEF(DOI_RESEND, doi_resend)
POL_RULE_DEF(DOI_CONFIRM_LINK, doi_confirm_link)
POL_RULE_DEF(DOI_ADVERTISING, doi_advertising)
POL_RULE_DEF(UNSUBSCRIBE_LINK, unsubscribe_link)
POL_RULE_DEF(UNSUBSCRIBE_HEADER, unsubscribe_header)
POL_RULE_DEF(UNSUBSCRIBE_ONE_CLICK, unsubscribe_one_click)
POL_RULE_DEF(CONTENT_IMPRINT, content_imprint)
POL_RULE_DEF(CONTENT_PRIVACY_LINK, content_privacy_link)
POL_RULE_DEF(EXPOSURE_RECIPIENTS, exposure_recipients)
POL_RULE_DEF(URL_INSECURE, url_insecure)
POL_RULE_DEF(URL_ADDRESS_LEAK, url_address_leak)
POL_RULE_DEF(TRACKING_NO_CONSENT, tracking_no_consent)
POL_RULE_DEF(TRANSACTIONAL_ADVERTISING, transactional_advertising)
POL_RULE_DEF(ARCHIVE_VISIBLE, archive_visible)
POL_RULE_DEF(UNSUBSCRIBE_DKIM, unsubscribe_dkim)

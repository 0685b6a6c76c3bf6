/*
 * test_template.c - the template language of fmt/template.c: slots escaped
 * and raw, repeat blocks (nested, empty, as conditions), names looked up
 * from the row outwards, block tags alone on a line, values that look
 * like tags staying text, and every kind of broken template refused.
 */
#include "testlib.h"

#include "../../fmt/template.h"

/* Render tpl with s; the text (g_free), or NULL with err filled. */
static char *
render(const char *tpl, const struct fmt_scope *s, char *err, size_t errsz)
{
	GString *out = g_string_new("");

	if (fmt_template_render(tpl, s, out, err, errsz) < 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

static void
expect(const char *tpl, const struct fmt_scope *s, const char *want)
{
	char err[160];
	char *got = render(tpl, s, err, sizeof(err));

	if (got == NULL)
		fail_msg("'%s': %s", tpl, err);
	assert_string_equal(got, want);
	g_free(got);
}

static void
refuse(const char *tpl, const struct fmt_scope *s, const char *why)
{
	char err[160];
	char *got = render(tpl, s, err, sizeof(err));

	if (got != NULL)
		fail_msg("'%s' rendered as '%s'", tpl, got);
	assert_non_null(strstr(err, why));
}

static void
test_slots(void **state)
{
	struct fmt_scope *s = fmt_scope_new();

	(void)state;
	fmt_scope_set(s, "who", "<b>\"Tom\" & 'Jerry'</b>\n\x01");
	fmt_scope_set(s, "svg", "<svg/>");
	fmt_scope_setf(s, "n", "%d", 42);
	expect("", s, "");
	expect("plain { text } {x}", s, "plain { text } {x}");
	expect("[{{who}}]", s,
	       "[&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt; "
	       "\xef\xbf\xbd]");
	expect("<p title=\"{{who}}\">", s,
	       "<p title=\"&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;"
	       "&lt;/b&gt; \xef\xbf\xbd\">");
	expect("{{{svg}}}{{n}}", s, "<svg/>42");
	fmt_scope_free(s);
}

/* A value is never read as template text. */
static void
test_hostile_values(void **state)
{
	struct fmt_scope *s = fmt_scope_new(), *r;

	(void)state;
	fmt_scope_set(s, "a", "{{b}}");
	fmt_scope_set(s, "b", "secret");
	r = fmt_scope_row(s, "rows");
	fmt_scope_set(r, "v", "{{#rows}}{{/rows}}<script>alert(1)</script>");
	expect("{{a}}", s, "{{b}}");
	expect("{{#rows}}<td>{{v}}</td>{{/rows}}", s,
	       "<td>{{#rows}}{{/rows}}&lt;script&gt;alert(1)&lt;/script&gt;"
	       "</td>");
	fmt_scope_free(s);
}

static void
test_blocks(void **state)
{
	struct fmt_scope *s = fmt_scope_new(), *r, *c;
	int i;

	(void)state;
	fmt_scope_set(s, "page", "P");
	for (i = 1; i <= 2; i++) {
		r = fmt_scope_row(s, "rows");
		fmt_scope_setf(r, "n", "%d", i);
		c = fmt_scope_row(r, "cells");
		fmt_scope_set(c, "v", "a");
		c = fmt_scope_row(r, "cells");
		fmt_scope_set(c, "v", i == 1 ? "b" : "c");
		fmt_scope_flag(r, "first", i == 1);
	}
	fmt_scope_flag(s, "none", 0);
	expect("{{#rows}}{{n}}:{{#cells}}{{v}}{{page}}{{/cells}}"
	       "{{#first}}!{{/first}};{{/rows}}", s, "1:aPbP!;2:aPcP;");
	expect("x{{#none}}never {{page}}{{/none}}y", s, "xy");
	/* Block tags alone on their lines take their line endings. */
	expect("<ul>\n{{#rows}}\n<li>{{n}}</li>\n{{/rows}}\n</ul>\n", s,
	       "<ul>\n<li>1</li>\n<li>2</li>\n</ul>\n");
	fmt_scope_free(s);
}

static void
test_broken(void **state)
{
	struct fmt_scope *s = fmt_scope_new();

	(void)state;
	fmt_scope_set(s, "a", "x");
	fmt_scope_flag(s, "l", 1);
	refuse("{{nope}}", s, "unknown name 'nope'");
	refuse("{{#nope}}{{/nope}}", s, "unknown list 'nope'");
	refuse("{{#l}}open", s, "unclosed block 'l'");
	refuse("text{{/l}}", s, "offset 4: close tag without its block");
	refuse("{{a", s, "bad tag");
	refuse("{{ a }}", s, "bad tag");
	refuse("{{{a}}", s, "bad tag");
	refuse("{{#}}", s, "bad block tag");
	fmt_scope_free(s);
}

static void
test_escape_cut(void **state)
{
	GString *out = g_string_new("");

	(void)state;
	fmt_html_cut(out, "Stra\xc3\x9f" "e<1>", 5);
	assert_string_equal(out->str, "Stra\xc3\x9f\xe2\x80\xa6");
	g_string_truncate(out, 0);
	fmt_html_cut(out, "a<b", 3);
	assert_string_equal(out->str, "a&lt;b");
	g_string_free(out, TRUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_escape_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

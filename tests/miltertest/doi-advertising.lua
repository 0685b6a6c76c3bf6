-- doi-advertising.lua: a DOI mail from confirm@shop.example (rules.conf
-- DoiSenders) whose text offers a discount (fixture doi/adv-de-rabatt.eml):
-- RCPT continues, end of message answers SMFIR_REPLYCODE (550 ...
-- rule=doi.advertising, checked in the log by run.sh) and no archive copy is
-- added. Run by run.sh against the rules.conf instance:
--   miltertest -s doi-advertising.lua -D port=PORT -D libdir=DIR -D datadir=DATA
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local rcpt = "rabatt-mt@example.org"
local conn = cg.connect("doi-advertising")
local m = cg.fixture("doi/adv-de-rabatt.eml", "confirm@shop.example", { rcpt },
                     { expect = "doi.advertising", set = { To = "<" .. rcpt .. ">" } })
local r = cg.message(conn, m)
cg.expect(r.mail, { SMFIR_CONTINUE }, "MAIL FROM:<confirm@shop.example>")
cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<" .. rcpt .. ">")
if r.stop ~= nil then
	cg.fail("the filter stopped the transaction after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_REPLYCODE }, "end of message")
if mt.eom_check(conn, MT_RCPTADD, "<doi-archive@shop.example>") then
	cg.fail("the refused DOI mail still added the archive recipient")
end
mt.disconnect(conn)
cg.pass("DOI mail with a discount: RCPT continue, EOM " .. cg.name(r.eom) ..
        ", no archive recipient added")

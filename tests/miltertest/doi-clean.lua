-- doi-clean.lua: a clean DOI mail (fixture doi/clean-de-formal-plain-utf8-qp.eml)
-- from confirm@shop.example to an address without a record: end of message
-- accepts with "X-Consent-Gate: pass class=doi ref=...", adds the ArchiveAddress
-- as an envelope recipient exactly as milter/doi.c passes it
-- ("<doi-archive@shop.example>", smfi_addrcpt) and adds or changes no To, Cc
-- or Bcc header. run.sh then checks with consentctl that the record is
-- pending with the message-id.
--   miltertest -s doi-clean.lua -D port=PORT -D libdir=DIR -D datadir=DATA
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local rcpt = "new-mt@example.org"
local archive = "doi-archive@shop.example"
local conn = cg.connect("doi-clean")
local m = cg.fixture("doi/clean-de-formal-plain-utf8-qp.eml", "confirm@shop.example",
                     { rcpt }, { expect = "pass", set = { To = "<" .. rcpt .. ">" } })
local r = cg.message(conn, m)
cg.expect(r.mail, { SMFIR_CONTINUE }, "MAIL FROM:<confirm@shop.example>")
cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<" .. rcpt .. ">")
if r.stop ~= nil then
	cg.fail("the filter stopped the transaction after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "end of message")
local v = cg.expect_pass_header(conn, "doi")
if not mt.eom_check(conn, MT_RCPTADD, "<" .. archive .. ">") then
	if mt.eom_check(conn, MT_RCPTADD, archive) then
		cg.fail("archive recipient added as '" .. archive .. "', want '<" .. archive .. ">'")
	end
	cg.fail("no envelope recipient <" .. archive .. "> added at end of message")
end
for _, h in ipairs({ "To", "Cc", "Bcc", "Resent-To", "Resent-Bcc" }) do
	if mt.eom_check(conn, MT_HDRADD, h) or
	   (MT_HDRINSERT ~= nil and mt.eom_check(conn, MT_HDRINSERT, h)) or
	   mt.eom_check(conn, MT_HDRCHANGE, h) then
		cg.fail("the filter added or changed a " .. h .. " header (the archive copy must be blind)")
	end
end
mt.disconnect(conn)
cg.pass("EOM " .. cg.name(r.eom) .. ", envelope recipient <" .. archive ..
        "> added, no address header touched, X-Consent-Gate: " .. v)

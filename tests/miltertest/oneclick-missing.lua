-- oneclick-missing.lua: the compliant newsletter fixture
-- marketing/pass-en-workshop-plain-utf8-8bit.eml to the confirmed
-- kunde@example.org passes; the same without List-Unsubscribe-Post gets
-- SMFIR_REPLYCODE at end of message (rule=unsubscribe.one-click, checked in
-- the log by run.sh).
--   miltertest -s oneclick-missing.lua -D port=PORT -D libdir=DIR -D datadir=DATA
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local rcpt = "kunde@example.org"
local fixture = "marketing/pass-en-workshop-plain-utf8-8bit.eml"

-- Control: as the fixture stands, it passes.
local conn = cg.connect("oneclick-missing")
local m = cg.fixture(fixture, "newsletter@shop.example", { rcpt }, { expect = "pass" })
if not cg.has_header(m, "List-Unsubscribe-Post") then
	cg.fail(fixture .. " has no List-Unsubscribe-Post header")
end
local r = cg.message(conn, m)
cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "control: RCPT TO:<" .. rcpt .. ">")
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "control: end of message")
cg.expect_pass_header(conn, "marketing")
mt.disconnect(conn)

conn = cg.connect("oneclick-missing")
m = cg.fixture(fixture, "newsletter@shop.example", { rcpt },
               { drop = { "List-Unsubscribe-Post" } })
if cg.has_header(m, "List-Unsubscribe-Post") then
	cg.fail("could not drop List-Unsubscribe-Post")
end
r = cg.message(conn, m)
cg.expect(r.mail, { SMFIR_CONTINUE }, "MAIL FROM:<newsletter@shop.example>")
cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<" .. rcpt .. ">")
if r.stop ~= nil then
	cg.fail("the filter stopped the transaction after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_REPLYCODE }, "end of message without List-Unsubscribe-Post")
mt.disconnect(conn)
cg.pass("with List-Unsubscribe-Post accepted, without it EOM " .. cg.name(r.eom))

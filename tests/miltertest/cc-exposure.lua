-- cc-exposure.lua: the newsletter fixture marketing/exposure-de-cc.eml names
-- four confirmed recipients in To and Cc; each RCPT continues and end of
-- message answers SMFIR_REPLYCODE (rule=exposure.recipients, checked in the
-- log by run.sh).
--   miltertest -s cc-exposure.lua -D port=PORT -D libdir=DIR -D datadir=DATA
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local rcpts = { "kunde@example.org", "b.meyer@example.net", "c.wolf@example.com",
                "dana@example.org" }
local conn = cg.connect("cc-exposure")
local m = cg.fixture("marketing/exposure-de-cc.eml", "newsletter@shop.example", rcpts,
                     { expect = "exposure.recipients" })
if not cg.has_header(m, "Cc") then
	cg.fail("fixture has no Cc header")
end
local r = cg.message(conn, m)
cg.expect(r.mail, { SMFIR_CONTINUE }, "MAIL FROM:<newsletter@shop.example>")
for i, a in ipairs(rcpts) do
	cg.expect(r.rcpt[i], { SMFIR_CONTINUE }, "RCPT TO:<" .. a .. ">")
end
if r.stop ~= nil then
	cg.fail("the filter stopped the transaction after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_REPLYCODE }, "end of message")
mt.disconnect(conn)
cg.pass("four confirmed recipients in To/Cc: RCPT continue, EOM " .. cg.name(r.eom))

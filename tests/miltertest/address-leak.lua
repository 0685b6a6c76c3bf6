-- address-leak.lua: the newsletter fixture marketing/leak-base64url-json.eml
-- (a link whose parameter carries the recipient's address, base64url-encoded)
-- to kunde@example.org, confirmed: SMFIR_REPLYCODE at end of message
-- (rule=url.address-leak, checked in the log by run.sh).  run.sh then checks
-- that the chained evidence record keeps the URL only as a keyed hash
-- (detail_h) while consentctl evidence REF shows it (issue #19 item 6).
--   miltertest -s address-leak.lua -D port=PORT -D libdir=DIR -D datadir=DATA
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local rcpt = "kunde@example.org"
local conn = cg.connect("address-leak")
local m = cg.fixture("marketing/leak-base64url-json.eml", "newsletter@shop.example",
                     { rcpt }, { expect = "url.address-leak" })
local r = cg.message(conn, m)
cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<" .. rcpt .. ">")
if r.stop ~= nil then
	cg.fail("the filter stopped the transaction after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_REPLYCODE }, "end of message to " .. rcpt)
mt.disconnect(conn)
cg.pass("address-leak: a link carrying the recipient's address refused at EOM " ..
        cg.name(r.eom))

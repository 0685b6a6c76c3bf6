-- consented.lua: marketing mail to a confirmed recipient passes: MAIL and RCPT
-- continue, end of message accepts (or continues) and the filter adds
-- "X-Consent-Gate: pass class=marketing ref=...".
-- Run by run.sh: miltertest -s consented.lua -D port=PORT -D libdir=DIR
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local conn = cg.connect("consented")
local r = cg.message(conn, cg.marketing({ "a@rcpt.example" }))
cg.expect(r.mail, { SMFIR_CONTINUE }, "MAIL FROM:<news@shop.example>")
cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<a@rcpt.example>")
if r.stop ~= nil then
	cg.fail("the filter stopped the transaction after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "end of message")
local v = cg.expect_pass_header(conn, "marketing")
mt.disconnect(conn)
cg.pass("RCPT continue, EOM " .. cg.name(r.eom) .. ", X-Consent-Gate: " .. v)

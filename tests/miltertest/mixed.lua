-- mixed.lua: one marketing transaction to a confirmed (a) and an unknown (b)
-- recipient: a continues, b gets SMFIR_REPLYCODE, and the message still passes
-- end of message with "X-Consent-Gate: pass class=marketing ref=..." for a.
-- Run by run.sh: miltertest -s mixed.lua -D port=PORT -D libdir=DIR
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local conn = cg.connect("mixed")
local r = cg.message(conn, cg.marketing({ "a@rcpt.example", "b@rcpt.example" },
                                        "undisclosed-recipients:;"))
cg.expect(r.mail, { SMFIR_CONTINUE }, "MAIL FROM:<news@shop.example>")
cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<a@rcpt.example>")
cg.expect(r.rcpt[2], { SMFIR_REPLYCODE }, "RCPT TO:<b@rcpt.example>")
if r.stop ~= nil then
	cg.fail("the filter stopped the transaction after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "end of message")
local v = cg.expect_pass_header(conn, "marketing")
mt.disconnect(conn)
cg.pass("a continue, b SMFIR_REPLYCODE, EOM " .. cg.name(r.eom) .. ", X-Consent-Gate: " .. v)

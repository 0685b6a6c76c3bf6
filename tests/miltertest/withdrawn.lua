-- withdrawn.lua: marketing mail to a recipient who withdrew consent is refused at
-- RCPT TO with a custom reply (SMFIR_REPLYCODE; rule=consent.withdrawn is checked
-- end to end by tests/e2e/run.sh).
-- Run by run.sh: miltertest -s withdrawn.lua -D port=PORT -D libdir=DIR
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local conn = cg.connect("withdrawn")
local r = cg.message(conn, cg.marketing({ "c@rcpt.example" }))
cg.expect(r.mail, { SMFIR_CONTINUE }, "MAIL FROM:<news@shop.example>")
cg.expect(r.rcpt[1], { SMFIR_REPLYCODE }, "RCPT TO:<c@rcpt.example>")
mt.disconnect(conn)
cg.pass("RCPT TO:<c@rcpt.example> answered SMFIR_REPLYCODE")

-- unconsented.lua: marketing mail to a recipient without a consent record is
-- refused at RCPT TO with a custom reply (SMFIR_REPLYCODE; the 550 5.7.1 text
-- with rule=consent.missing is checked end to end by tests/e2e/run.sh).
-- Run by run.sh: miltertest -s unconsented.lua -D port=PORT -D libdir=DIR
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local conn = cg.connect("unconsented")
local r = cg.message(conn, cg.marketing({ "b@rcpt.example" }))
cg.expect(r.mail, { SMFIR_CONTINUE }, "MAIL FROM:<news@shop.example>")
cg.expect(r.rcpt[1], { SMFIR_REPLYCODE }, "RCPT TO:<b@rcpt.example>")
mt.disconnect(conn)
cg.pass("RCPT TO:<b@rcpt.example> answered SMFIR_REPLYCODE")

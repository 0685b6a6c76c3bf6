-- rcpt-limit.lua: one SMTP transaction to 11 recipients without consent and one
-- confirmed (a). Within RcptRefusalLimit (default 9) the unconsented ones get
-- SMFIR_REPLYCODE at RCPT; the 10th and 11th continue (refusing them would push
-- Postfix past its error limits: a slowed reply at 10, 421 at 20) and end of
-- message answers SMFIR_REPLYCODE (451 4.5.3: run.sh checks the daemon logged
-- action=tempfail; the client sends again to the recipients not yet refused).
-- Run by run.sh: miltertest -s rcpt-limit.lua -D port=PORT -D libdir=DIR
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local rcpts = {}
for i = 1, 11 do
	table.insert(rcpts, "b" .. i .. "@rcpt.example")
end
table.insert(rcpts, "a@rcpt.example")

local conn = cg.connect("rcpt-limit")
local r = cg.message(conn, cg.marketing(rcpts, "undisclosed-recipients:;"))
cg.expect(r.mail, { SMFIR_CONTINUE }, "MAIL FROM:<news@shop.example>")
for i = 1, 9 do
	cg.expect(r.rcpt[i], { SMFIR_REPLYCODE }, "RCPT TO:<" .. rcpts[i] .. "> (refusal " .. i .. " of 9)")
end
for i = 10, 12 do
	cg.expect(r.rcpt[i], { SMFIR_CONTINUE }, "RCPT TO:<" .. rcpts[i] .. "> (past the refusal limit)")
end
if r.stop ~= nil then
	cg.fail("the filter stopped the transaction after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_REPLYCODE }, "end of message with 2 deferred refusals")
mt.disconnect(conn)
cg.pass("9 RCPT refusals, 2 deferred to end of message (SMFIR_REPLYCODE)")

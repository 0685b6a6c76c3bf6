-- local-submission.lua: a connect without a client port or address (how
-- Postfix's cleanup presents sendmail/pickup mail: port 0; miltertest can only
-- send an unknown address family, which the gate treats alike). A recipient
-- cannot be refused in such a submission (Postfix would defer the whole
-- message and retry it without end), so b and c continue at RCPT and end of
-- message refuses the whole message (SMFIR_REPLYCODE; run.sh checks the log for
-- action=reject with both rules). A second submission to the confirmed a only
-- passes with X-Consent-Gate: pass.
-- Run by run.sh: miltertest -s local-submission.lua -D port=PORT -D libdir=DIR
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local conn = cg.connect("local-submission")
local m = cg.marketing({ "a@rcpt.example", "b@rcpt.example", "c@rcpt.example" },
                       "undisclosed-recipients:;")
m.client_ip = "unspec"
local r = cg.message(conn, m)
cg.expect(r.mail, { SMFIR_CONTINUE }, "MAIL FROM:<news@shop.example>")
cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<a@rcpt.example>")
cg.expect(r.rcpt[2], { SMFIR_CONTINUE }, "RCPT TO:<b@rcpt.example> (no per-recipient refusal)")
cg.expect(r.rcpt[3], { SMFIR_CONTINUE }, "RCPT TO:<c@rcpt.example> (no per-recipient refusal)")
if r.stop ~= nil then
	cg.fail("the filter stopped the transaction after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_REPLYCODE }, "end of message with unconsented recipients")
mt.disconnect(conn)

conn = cg.connect("local-submission")
m = cg.marketing({ "a@rcpt.example" })
m.client_ip = "unspec"
r = cg.message(conn, m)
cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<a@rcpt.example> (second submission)")
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "end of message, consented only")
local v = cg.expect_pass_header(conn, "marketing")
mt.disconnect(conn)
cg.pass("b, c continue at RCPT, EOM SMFIR_REPLYCODE; a alone passes: " .. v)

-- doi-resend.lua: DoiResend never. A clean DOI mail (fixture
-- doi/clean-en-plain-utf8-qp.eml) to resend-mt@example.org is accepted, which
-- makes the record pending; the same mail again (same Message-ID and content:
-- the sender's MTA retrying after a 4xx) is a retry and accepted with the
-- archive copy; a new DOI mail (another Message-ID), on a new connection,
-- gets SMFIR_REPLYCODE at end of message (rule=doi.resend, checked in the
-- log by run.sh) and no archive copy.
--   miltertest -s doi-resend.lua -D port=PORT -D libdir=DIR -D datadir=DATA
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local rcpt = "resend-mt@example.org"
local function send(msgid)
	local conn = cg.connect("doi-resend")
	local set = { To = "<" .. rcpt .. ">" }
	if msgid then
		set["Message-ID"] = msgid
	end
	local m = cg.fixture("doi/clean-en-plain-utf8-qp.eml", "confirm@shop.example",
	                     { rcpt }, { expect = "pass", set = set })
	local r = cg.message(conn, m)
	cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<" .. rcpt .. ">")
	if r.stop ~= nil then
		cg.fail("the filter stopped the transaction after " .. r.stop)
	end
	return conn, r
end

local conn, r = send()
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "end of message of the first DOI mail")
if not mt.eom_check(conn, MT_RCPTADD, "<doi-archive@shop.example>") then
	cg.fail("first DOI mail: no archive recipient added")
end
mt.disconnect(conn)

conn, r = send()
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "end of message of the same DOI mail again (a retry)")
if not mt.eom_check(conn, MT_RCPTADD, "<doi-archive@shop.example>") then
	cg.fail("the retry of the DOI mail: no archive recipient added")
end
mt.disconnect(conn)

conn, r = send("<second-doi-mail@mailer.shop.example>")
cg.expect(r.eom, { SMFIR_REPLYCODE }, "end of message of the second DOI mail")
if mt.eom_check(conn, MT_RCPTADD, "<doi-archive@shop.example>") then
	cg.fail("the refused second DOI mail still added the archive recipient")
end
mt.disconnect(conn)
cg.pass("first DOI mail and its retry accepted, a second one to the still-pending address " ..
        cg.name(r.eom))

-- withdrawal.lua: inbound withdrawal (UnsubscribeAddress unsubscribe@shop.example).
-- kunde2@example.org (confirmed, uid u-77) first gets the compliant newsletter
-- (RCPT continues), then mails unsubscribe+u-77@shop.example: accepted, with
-- "X-Consent-Gate: pass class=other"; afterwards the newsletter to kunde2 gets
-- SMFIR_REPLYCODE at RCPT (rule=consent.withdrawn, checked in the log by run.sh).
-- The same for kunde3@example.org mailing the plain unsubscribe@shop.example.
--   miltertest -s withdrawal.lua -D port=PORT -D libdir=DIR -D datadir=DATA
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local newsletter = "marketing/pass-en-workshop-plain-utf8-8bit.eml"

local function withdrawal_mail(from, to)
	return {
		from = from,
		rcpts = { to },
		headers = {
			{ "From", "Kundin <" .. from .. ">" },
			{ "To", "<" .. to .. ">" },
			{ "Subject", "Abmelden" },
			{ "Date", "Tue, 24 Nov 2026 10:00:00 +0100" },
			{ "Message-ID", "<mt-withdrawal-" .. from .. ">" },
			{ "MIME-Version", "1.0" },
			{ "Content-Type", "text/plain; charset=utf-8" },
		},
		body = "Bitte melden Sie mich vom Newsletter ab.\r\n",
	}
end

local function news(rcpt)
	local conn = cg.connect("withdrawal")
	local r = cg.message(conn, cg.fixture(newsletter, "newsletter@shop.example",
	                                      { rcpt }, { set = { To = rcpt } }))
	mt.disconnect(conn)
	return r
end

local function withdraw(from, to)
	local r = news(from)
	cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "newsletter to " .. from .. " before the withdrawal")
	cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE },
	          "end of message of the newsletter to " .. from .. " before the withdrawal")

	local conn = cg.connect("withdrawal")
	r = cg.message(conn, withdrawal_mail(from, to))
	cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<" .. to .. ">")
	if r.stop ~= nil then
		cg.fail("the filter stopped the withdrawal mail after " .. r.stop)
	end
	cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "end of message of the mail to " .. to)
	cg.expect_pass_header(conn, "other")
	mt.disconnect(conn)

	r = news(from)
	cg.expect(r.rcpt[1], { SMFIR_REPLYCODE }, "newsletter to " .. from .. " after the withdrawal")
	return r
end

withdraw("kunde2@example.org", "unsubscribe+u-77@shop.example")
withdraw("kunde3@example.org", "unsubscribe@shop.example")
cg.pass("mail to unsubscribe+u-77@ and unsubscribe@ accepted; the newsletter to " ..
        "kunde2 and kunde3 then SMFIR_REPLYCODE at RCPT")

-- brands.lua: brand profiles (ProfileDirectory brands-profiles, main file
-- brands.conf).  Brand A's and brand B's newsletters, each with its own
-- privacy link and imprint, both pass and are marked "profile=brand-a" /
-- "profile=brand-b"; a brand A newsletter (envelope sender and From of
-- brand A) that carries brand B's privacy link and imprint is refused at
-- end of message (run.sh checks the log names content.imprint and
-- profile=brand-a); so is a mail with brand A's envelope sender and brand
-- B's From and legal data (the envelope sender's profile applies).  Last,
-- brand A's opt-in mail (confirm@brand-a.example) to new-a@example.org
-- passes under profile brand-a (run.sh checks its doi-send record names
-- the profile, and that consentctl log --profile brand-a lists brand A's
-- records and not brand B's).
-- Run by run.sh: miltertest -s brands.lua -D port=PORT -D libdir=DIR
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local legal = {
	a = { privacy = "https://brand-a.example/privacy",
	      imprint = "Brand A GmbH, Alleestrasse 1, 10115 Berlin" },
	b = { privacy = "https://brand-b.example/datenschutz",
	      imprint = "Brand B AG, Ringstrasse 2, 80331 Muenchen" },
}

-- A compliant newsletter from news@brand-SENDER.example carrying the legal
-- data of brand DATA to a@rcpt.example (confirmed).
local function newsletter(sender, data)
	local dom = "brand-" .. sender .. ".example"
	local m = cg.marketing({ "a@rcpt.example" })
	m.from = "news@" .. dom
	m.headers[1] = { "From", "Brand " .. sender .. " <news@" .. dom .. ">" }
	m.headers[5] = { "Message-ID", "<mt-brands-" .. sender .. data .. "@" .. dom .. ">" }
	m.headers[8] = { "List-Unsubscribe", "<https://" .. dom .. "/unsubscribe?u=u4711>" }
	m.body = "Hello,\r\n\r\nour autumn collection is here: https://" .. dom .. "/autumn\r\n\r\n" ..
	         "Privacy policy: " .. legal[data].privacy .. "\r\n" ..
	         "Unsubscribe: https://" .. dom .. "/unsubscribe?u=u4711\r\n\r\n" ..
	         "Imprint: " .. legal[data].imprint .. "\r\n"
	return m
end

local function expect_pass(which)
	local conn = cg.connect("brands")
	local r = cg.message(conn, newsletter(which, which))
	if r.stop ~= nil then
		cg.fail("brand " .. which .. ": the filter stopped after " .. r.stop)
	end
	cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "brand " .. which .. ": end of message")
	local v = cg.gate_header(conn) or ""
	local want = "^%s*pass class=marketing profile=brand%-" .. which .. " ref=[%w%-]+"
	if not string.find(v, want) then
		cg.fail("brand " .. which .. ": X-Consent-Gate is '" .. v ..
		        "', want 'pass class=marketing profile=brand-" .. which .. " ref=...'")
	end
	mt.disconnect(conn)
	return v
end

local va = expect_pass("a")
local vb = expect_pass("b")

local conn = cg.connect("brands")
local r = cg.message(conn, newsletter("a", "b"))
if r.stop ~= nil then
	cg.fail("brand a with b's imprint: the filter stopped after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_REPLYCODE, SMFIR_REJECT },
          "brand a with brand b's imprint: end of message")
mt.disconnect(conn)

-- Envelope sender of brand A, From and legal data of brand B: the envelope
-- sender's profile applies, so the mail is refused (run.sh checks the
-- warning naming both profiles).
conn = cg.connect("brands")
local m = newsletter("b", "b")
m.from = "news@brand-a.example"
local r2 = cg.message(conn, m)
if r2.stop ~= nil then
	cg.fail("envelope brand a, From brand b: the filter stopped after " .. r2.stop)
end
cg.expect(r2.eom, { SMFIR_REPLYCODE, SMFIR_REJECT },
          "envelope brand a, From brand b: end of message")
mt.disconnect(conn)
-- Brand A's opt-in mail: the DOI record carries the profile.
conn = cg.connect("brands")
local doi = newsletter("a", "a")
doi.from = "confirm@brand-a.example"
doi.rcpts = { "new-a@example.org" }
doi.headers = {
	{ "From", "Brand A <confirm@brand-a.example>" },
	{ "To", "new-a@example.org" },
	{ "Subject", "Please confirm your subscription" },
	{ "Date", "Tue, 24 Nov 2026 10:00:00 +0000" },
	{ "Message-ID", "<mt-brands-doi-a@brand-a.example>" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "text/plain; charset=utf-8" },
}
doi.body = "Hello,\r\n\r\nplease confirm your subscription to the Brand A newsletter:\r\n" ..
           "https://brand-a.example/newsletter/confirm?uid=a4711\r\n\r\n" ..
           "If you did not subscribe, ignore this mail.\r\n\r\n" ..
           "Privacy policy: " .. legal.a.privacy .. "\r\n" ..
           "Imprint: " .. legal.a.imprint .. "\r\n"
local r3 = cg.message(conn, doi)
if r3.stop ~= nil then
	cg.fail("brand a opt-in mail: the filter stopped after " .. r3.stop)
end
cg.expect(r3.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "brand a opt-in mail: end of message")
local vd = cg.gate_header(conn) or ""
if not string.find(vd, "^%s*pass class=doi profile=brand%-a ref=[%w%-]+") then
	cg.fail("brand a opt-in mail: X-Consent-Gate is '" .. vd ..
	        "', want 'pass class=doi profile=brand-a ref=...'")
end
mt.disconnect(conn)
cg.pass("brand a: " .. va .. "; brand b: " .. vb ..
        "; brand a mail with brand b's imprint refused (" .. cg.name(r.eom) ..
        "); envelope brand a with From brand b refused (" .. cg.name(r2.eom) ..
        "); brand a opt-in mail: " .. vd)

-- order-teaser.lua: transactional.advertising through the milter.  The order
-- confirmation with product recommendations and a coupon code (fixture
-- transactional/order-de-shopware-teaser.eml) from bestellung@shop.example,
-- which tests/data/rules.conf lists in TransactionalSenders:
--   to kunde@example.org (confirmed in run.sh's store): accepted,
--     "X-Consent-Gate: pass class=other ref=...";
--   to neu-order@example.org (no record): accepted all the same (default
--     action tag), "X-Consent-Gate: tag rule=transactional.advertising
--     class=other ref=...".
-- run.sh checks the daemon logged both decisions.
--   miltertest -s order-teaser.lua -D port=PORT -D libdir=DIR -D datadir=DATA
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local fixture = "transactional/order-de-shopware-teaser.eml"
local sender = "bestellung@shop.example"

local function send(rcpt)
	local conn = cg.connect("order-teaser")
	local m = cg.fixture(fixture, sender, { rcpt },
	                     { expect = "transactional.advertising",
	                       set = { To = "<" .. rcpt .. ">" } })
	local r = cg.message(conn, m)
	if r.stop ~= nil then
		cg.fail("the filter stopped the mail to " .. rcpt .. " after " .. r.stop)
	end
	cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "end of message to " .. rcpt)
	local v = cg.gate_header(conn)
	mt.disconnect(conn)
	return v
end

local consented = send("kunde@example.org")
if consented == nil or not string.find(consented, "^%s*pass class=other ref=[%w%-]+$") then
	cg.fail("to the consented recipient X-Consent-Gate is '" .. tostring(consented) ..
	        "', want 'pass class=other ref=...'")
end
local tagged = send("neu-order@example.org")
if tagged == nil or
   not string.find(tagged, "^%s*tag rule=transactional%.advertising class=other ref=[%w%-]+$") then
	cg.fail("to the recipient without consent X-Consent-Gate is '" .. tostring(tagged) ..
	        "', want 'tag rule=transactional.advertising class=other ref=...'")
end
cg.pass("consented: " .. consented .. "; without consent delivered with " .. tagged)

-- fault-pass.lua: FaultActionTransactional pass with a store whose map is
-- full (run.sh starts the daemon with tests/miltertest/fault-pass.conf and
-- CONSENTGATE_MAPSIZE at the store's size).  Consented marketing mail is
-- sent until the evidence write fails (EOM SMFIR_TEMPFAIL or a 451 reply):
-- marketing mail then always answers 4xx.  Then, with the store still full,
-- a transactional order notice (X-Consent-Class: transactional) is accepted
-- with "X-Consent-Gate: fault-pass class=transactional ref=... fault=evidence",
-- the same to broken@rcpt.example, whose record the store cannot decode,
-- with "fault=store", and the same notice classed other (FaultActionOther:
-- default tempfail) answers 4xx.
-- Run by run.sh: miltertest -s fault-pass.lua -D port=PORT -D libdir=DIR
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local fourxx = { SMFIR_TEMPFAIL, SMFIR_REPLYCODE }

cg.case = "fault-pass"
local full = nil
for i = 1, 60 do
	local conn = cg.connect("fault-pass")
	local m = cg.marketing({ "a@rcpt.example" })
	m.headers[5] = { "Message-ID", "<mt-fault-" .. i .. "@shop.example>" }
	local r = cg.message(conn, m)
	mt.disconnect(conn)
	if r.stop ~= nil then
		cg.fail("marketing mail " .. i .. " stopped after " .. r.stop)
	end
	if r.eom ~= SMFIR_ACCEPT then
		cg.expect(r.eom, fourxx, "EOM of marketing mail " .. i .. " (store full)")
		full = i
		break
	end
end
if full == nil then
	cg.fail("60 marketing mails accepted: the map never filled up")
end

-- Transactional: passes with the fault in its header.
local conn = cg.connect("fault-pass")
local t = cg.transactional("b@rcpt.example")
table.insert(t.headers, { "X-Consent-Class", "transactional" })
local r = cg.message(conn, t)
if r.stop ~= nil then
	cg.fail("transactional mail stopped after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "EOM of the transactional mail")
local v = cg.gate_header(conn)
if v == nil or not string.find(v, "^%s*fault%-pass class=transactional ref=[%w%-]+ fault=evidence$") then
	cg.fail("X-Consent-Gate is '" .. tostring(v) ..
	        "', want 'fault-pass class=transactional ref=... fault=evidence'")
end
mt.disconnect(conn)

-- To a recipient whose record the store cannot read: the lookup fails
-- first, so the fault is the store's.
conn = cg.connect("fault-pass")
t = cg.transactional("broken@rcpt.example")
table.insert(t.headers, { "X-Consent-Class", "transactional" })
r = cg.message(conn, t)
if r.stop ~= nil then
	cg.fail("transactional mail to broken@ stopped after " .. r.stop)
end
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "EOM of the transactional mail to broken@")
local vs = cg.gate_header(conn)
if vs == nil or not string.find(vs, "^%s*fault%-pass class=transactional ref=[%w%-]+ fault=store$") then
	cg.fail("X-Consent-Gate to broken@ is '" .. tostring(vs) ..
	        "', want 'fault-pass class=transactional ref=... fault=store'")
end
mt.disconnect(conn)

-- The same notice without a class header is class other: 4xx.
conn = cg.connect("fault-pass")
r = cg.message(conn, cg.transactional("b@rcpt.example"))
if r.stop ~= nil then
	cg.fail("other mail stopped after " .. r.stop)
end
cg.expect(r.eom, fourxx, "EOM of the mail of class other (FaultActionOther tempfail)")
mt.disconnect(conn)

-- And marketing mail still answers 4xx.
conn = cg.connect("fault-pass")
local m = cg.marketing({ "a@rcpt.example" })
m.headers[5] = { "Message-ID", "<mt-fault-last@shop.example>" }
r = cg.message(conn, m)
cg.expect(r.eom, fourxx, "EOM of marketing mail after the transactional one")
mt.disconnect(conn)

cg.pass("store full after " .. (full - 1) .. " accepted: marketing and other mail 4xx, " ..
        "transactional accepted with X-Consent-Gate: " .. v .. " and " .. vs)

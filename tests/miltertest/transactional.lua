-- transactional.lua: mail from a sender that is not a marketing sender passes
-- even to a recipient without a consent record: every step continues (or the
-- filter accepts early) and nothing is refused.
-- Run by run.sh: miltertest -s transactional.lua -D port=PORT -D libdir=DIR
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local pass = { SMFIR_CONTINUE, SMFIR_ACCEPT }
local conn = cg.connect("transactional")
local r = cg.message(conn, cg.transactional("b@rcpt.example"))
for _, step in ipairs({ "connect", "helo", "mail", "data", "header", "eoh", "body", "eom" }) do
	if r[step] ~= nil then
		cg.expect(r[step], pass, step)
	end
end
if r.rcpt[1] ~= nil then
	cg.expect(r.rcpt[1], pass, "RCPT TO:<b@rcpt.example>")
end
local how
if r.stop == nil then
	how = "EOM " .. cg.name(r.eom)
	local v = cg.gate_header(conn)
	if v ~= nil then
		how = how .. ", X-Consent-Gate: " .. v
	end
else
	how = "accepted after " .. r.stop
end
mt.disconnect(conn)
cg.pass(how)

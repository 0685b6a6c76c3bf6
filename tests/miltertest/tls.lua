-- tls.lua: with RequireTLS yes, a compliant newsletter to a consenting
-- recipient is refused at end of message when a remote client sent it
-- without TLS, and accepted over TLS ({tls_version} macro) or from loopback.
-- Run by tests/e2e/modes.sh against an instance with RequireTLS yes.
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local function run(ip, tls)
	local conn = cg.connect("tls")
	local m = cg.marketing({ "a@rcpt.example" })
	m.client_ip = ip
	m.tls = tls
	local r = cg.message(conn, m)
	mt.disconnect(conn)
	return r
end

local r = run("192.0.2.9", false)
cg.expect(r.eom, { SMFIR_REPLYCODE }, "remote client without TLS, end of message")
r = run("192.0.2.9", true)
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "remote client with TLS, end of message")
r = run("127.0.0.1", false)
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE }, "loopback client without TLS, end of message")
cg.pass("without TLS refused, with {tls_version} or from loopback accepted")

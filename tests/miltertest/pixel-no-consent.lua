-- pixel-no-consent.lua: the newsletter fixture marketing/tracking-de-pixel.eml
-- (a 1x1 pixel from track.shop.example) to pixel@example.org, confirmed without
-- tracking consent: SMFIR_REPLYCODE at end of message (rule=tracking.no-consent,
-- checked in the log by run.sh); the same to tracker@example.org, confirmed
-- with tracking consent: accepted.
--   miltertest -s pixel-no-consent.lua -D port=PORT -D libdir=DIR -D datadir=DATA
dofile((libdir or "tests/miltertest") .. "/lib.lua")

local fixture = "marketing/tracking-de-pixel.eml"

local function send(rcpt)
	local conn = cg.connect("pixel-no-consent")
	local m = cg.fixture(fixture, "newsletter@shop.example", { rcpt },
	                     { expect = "tracking.no-consent", set = { To = "<" .. rcpt .. ">" } })
	local r = cg.message(conn, m)
	cg.expect(r.rcpt[1], { SMFIR_CONTINUE }, "RCPT TO:<" .. rcpt .. ">")
	if r.stop ~= nil then
		cg.fail("the filter stopped the transaction after " .. r.stop)
	end
	return conn, r
end

local conn, r = send("pixel@example.org")
cg.expect(r.eom, { SMFIR_REPLYCODE }, "end of message to pixel@example.org (no tracking consent)")
mt.disconnect(conn)
local refused = cg.name(r.eom)

conn, r = send("tracker@example.org")
cg.expect(r.eom, { SMFIR_ACCEPT, SMFIR_CONTINUE },
          "end of message to tracker@example.org (tracking consent)")
cg.expect_pass_header(conn, "marketing")
mt.disconnect(conn)
cg.pass("pixel without tracking consent EOM " .. refused ..
        ", with tracking consent EOM " .. cg.name(r.eom))

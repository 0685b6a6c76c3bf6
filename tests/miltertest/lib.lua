-- tests/miltertest/lib.lua - helpers shared by the consentgate miltertest cases.
--
-- A case runs as
--   miltertest -s tests/miltertest/CASE.lua -D port=PORT -D libdir=tests/miltertest
-- against the consentgate that tests/miltertest/run.sh started on
-- inet:PORT@127.0.0.1 (store: a@rcpt.example confirmed, b@rcpt.example no record,
-- c@rcpt.example withdrawn; MarketingSenders news@shop.example).
-- -D socket=unix:PATH (instead of port) connects there (tests/deb.sh).
--
-- miltertest may exit 1 without printing a Lua error, so every failure first
-- prints "FAIL: <case>: <why>" and success prints "PASS: <case>: ...".
-- Lua 5.1 (miltertest uses luaL_register).

cg = {}

local reply_names = {}
for _, k in ipairs({ "SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT",
                     "SMFIR_TEMPFAIL", "SMFIR_DISCARD", "SMFIR_REPLYCODE",
                     "SMFIR_SKIP" }) do
	if _G[k] ~= nil then
		reply_names[_G[k]] = k
	end
end

-- cg.name(reply): a readable name for an SMFIR_* reply code.
function cg.name(r)
	if r == nil then
		return "nil"
	end
	if reply_names[r] ~= nil then
		return reply_names[r]
	end
	if r == 0 then
		return "no reply"
	end
	return string.format("'%s' (%d)", string.char(r), r)
end

function cg.fail(msg)
	print("FAIL: " .. (cg.case or "?") .. ": " .. msg)
	error(msg, 0)
end

function cg.pass(msg)
	print("PASS: " .. (cg.case or "?") .. (msg and (": " .. msg) or ""))
end

-- cg.call(what, fn, ...): call an mt.* function that returns nil on success or an
-- error string, or raises; any failure ends the case with FAIL.
function cg.call(what, fn, ...)
	local ok, err = pcall(fn, ...)
	if not ok then
		cg.fail(what .. " raised: " .. tostring(err))
	end
	if err ~= nil then
		cg.fail(what .. " failed: " .. tostring(err))
	end
end

-- cg.expect(reply, allowed, what): reply must be one of the allowed codes.
function cg.expect(reply, allowed, what)
	local names = {}
	for _, a in ipairs(allowed) do
		if reply == a then
			return reply
		end
		table.insert(names, cg.name(a))
	end
	cg.fail(what .. ": got " .. cg.name(reply) .. ", want " ..
	        table.concat(names, " or "))
end

-- cg.connect(case): connect to the running milter and negotiate explicitly, so
-- that mt.test_option() knows which steps the filter asked to skip.
function cg.connect(case)
	cg.case = case
	if port == nil and socket == nil then
		cg.fail("no port: run with -D port=PORT (or -D socket=unix:PATH)")
	end
	local sock = socket or ("inet:" .. port .. "@127.0.0.1")
	local ok, conn = pcall(mt.connect, sock, 40, 0.25)
	if not ok or conn == nil then
		cg.fail("mt.connect(" .. sock .. ") failed: " .. tostring(conn))
	end
	mt.set_timeout(15)
	cg.call("mt.negotiate", mt.negotiate, conn, nil, nil, nil)
	return conn
end

-- cg.skips(conn, option): true when the filter negotiated SMFIP_NO<step>.
function cg.skips(conn, option)
	if option == nil then
		return false
	end
	local ok, r = pcall(mt.test_option, conn, option)
	return ok and r
end

local QID = "QID123"

-- cg.marketing(rcpts): a compliant newsletter from news@shop.example (unsubscribe
-- header and link, one-click, privacy link, imprint), so only consent decides.
function cg.marketing(rcpts, to)
	return {
		from = "news@shop.example",
		rcpts = rcpts,
		headers = {
			{ "From", "Shop Example <news@shop.example>" },
			{ "To", to or rcpts[1] },
			{ "Subject", "Autumn sale" },
			{ "Date", "Tue, 24 Nov 2026 10:00:00 +0000" },
			{ "Message-ID", "<mt-" .. (cg.case or "x") .. "@shop.example>" },
			{ "MIME-Version", "1.0" },
			{ "Content-Type", "text/plain; charset=utf-8" },
			{ "List-Unsubscribe", "<https://shop.example/unsubscribe?u=u4711>, <mailto:unsubscribe@shop.example?subject=u4711>" },
			{ "List-Unsubscribe-Post", "List-Unsubscribe=One-Click" },
		},
		body = "Hello,\r\n\r\nour autumn collection is here: https://shop.example/autumn\r\n\r\n" ..
		       "Privacy policy: https://shop.example/privacy\r\n" ..
		       "Unsubscribe: https://shop.example/unsubscribe?u=u4711\r\n\r\n" ..
		       "Imprint: Shop Example GmbH, Musterstrasse 1, 10115 Berlin\r\n",
	}
end

-- cg.transactional(rcpt): an order notice from shop@shop.example.
function cg.transactional(rcpt)
	return {
		from = "shop@shop.example",
		rcpts = { rcpt },
		headers = {
			{ "From", "Shop Example Orders <shop@shop.example>" },
			{ "To", rcpt },
			{ "Subject", "Your order 1234 has shipped" },
			{ "Date", "Tue, 24 Nov 2026 10:00:00 +0000" },
			{ "Message-ID", "<mt-" .. (cg.case or "x") .. "@shop.example>" },
			{ "MIME-Version", "1.0" },
			{ "Content-Type", "text/plain; charset=utf-8" },
		},
		body = "Hello,\r\n\r\nyour order 1234 has shipped.\r\n\r\n" ..
		       "Imprint: Shop Example GmbH, Musterstrasse 1, 10115 Berlin\r\n",
	}
end

-- cg.message(conn, m): play one SMTP transaction the way Postfix does (with its
-- default macros) and return the milter's replies:
--   r.connect, r.helo, r.mail, r.rcpt[i], r.data, r.header, r.eoh, r.body, r.eom
-- r.stop names the step after which an MTA would stop talking to the milter
-- about this message (a reply other than CONTINUE, or every recipient refused);
-- r.stop is nil when the message went through end of message.
function cg.message(conn, m)
	local r = { rcpt = {} }
	local function go_on(code)
		return code == SMFIR_CONTINUE
	end

	-- m.client_ip: the client's address (default 127.0.0.1); m.tls: the
	-- client used STARTTLS ({tls_version} is sent with MAIL FROM).
	local ip = m.client_ip or "127.0.0.1"
	cg.call("mt.macro(CONNECT)", mt.macro, conn, SMFIC_CONNECT,
	        "j", "mta.consentgate.test", "{daemon_name}", "mta.consentgate.test",
	        "_", "client.consentgate.test [" .. ip .. "]", "{client_addr}", ip)
	if not cg.skips(conn, SMFIP_NOCONNECT) then
		cg.call("mt.conninfo", mt.conninfo, conn, "client.consentgate.test", ip)
		r.connect = mt.getreply(conn)
		if not go_on(r.connect) then r.stop = "connect" return r end
	end
	if not cg.skips(conn, SMFIP_NOHELO) then
		cg.call("mt.helo", mt.helo, conn, "client.consentgate.test")
		r.helo = mt.getreply(conn)
		if not go_on(r.helo) then r.stop = "helo" return r end
	end
	if m.tls then
		cg.call("mt.macro(MAIL)", mt.macro, conn, SMFIC_MAIL,
		        "i", QID, "{mail_addr}", m.from, "{tls_version}", "TLSv1.3")
	else
		cg.call("mt.macro(MAIL)", mt.macro, conn, SMFIC_MAIL,
		        "i", QID, "{mail_addr}", m.from)
	end
	if not cg.skips(conn, SMFIP_NOMAIL) then
		cg.call("mt.mailfrom", mt.mailfrom, conn, "<" .. m.from .. ">")
		r.mail = mt.getreply(conn)
		if not go_on(r.mail) then r.stop = "mail" return r end
	end
	local accepted = 0
	for i, rcpt in ipairs(m.rcpts) do
		cg.call("mt.macro(RCPT)", mt.macro, conn, SMFIC_RCPT,
		        "i", QID, "{rcpt_addr}", rcpt)
		if cg.skips(conn, SMFIP_NORCPT) then
			r.rcpt[i] = SMFIR_CONTINUE
		else
			cg.call("mt.rcptto(" .. rcpt .. ")", mt.rcptto, conn, "<" .. rcpt .. ">")
			r.rcpt[i] = mt.getreply(conn)
		end
		if r.rcpt[i] == SMFIR_CONTINUE then
			accepted = accepted + 1
		elseif r.rcpt[i] == SMFIR_ACCEPT then
			r.stop = "rcpt"
			return r
		end
	end
	if accepted == 0 then
		r.stop = "rcpt"
		return r
	end
	if SMFIP_NODATA ~= nil and mt.data ~= nil and not cg.skips(conn, SMFIP_NODATA) then
		cg.call("mt.data", mt.data, conn)
		r.data = mt.getreply(conn)
		if not go_on(r.data) then r.stop = "data" return r end
	end
	if not cg.skips(conn, SMFIP_NOHDRS) then
		for _, h in ipairs(m.headers) do
			cg.call("mt.header(" .. h[1] .. ")", mt.header, conn, h[1], h[2])
			r.header = mt.getreply(conn)
			if not go_on(r.header) then r.stop = "header " .. h[1] return r end
		end
	end
	if not cg.skips(conn, SMFIP_NOEOH) then
		cg.call("mt.eoh", mt.eoh, conn)
		r.eoh = mt.getreply(conn)
		if not go_on(r.eoh) then r.stop = "eoh" return r end
	end
	if not cg.skips(conn, SMFIP_NOBODY) then
		cg.call("mt.bodystring", mt.bodystring, conn, m.body)
		r.body = mt.getreply(conn)
		if not go_on(r.body) then r.stop = "body" return r end
	end
	cg.call("mt.eom", mt.eom, conn)
	r.eom = mt.getreply(conn)
	return r
end

-- cg.gate_header(conn): the value of the X-Consent-Gate header the filter added
-- at end of message (smfi_addheader or smfi_insheader), or nil.
function cg.gate_header(conn)
	local added = mt.eom_check(conn, MT_HDRADD, "X-Consent-Gate")
	if not added and MT_HDRINSERT ~= nil then
		added = mt.eom_check(conn, MT_HDRINSERT, "X-Consent-Gate")
	end
	if not added then
		return nil
	end
	return mt.getheader(conn, "X-Consent-Gate", 0) or ""
end

-- cg.expect_pass_header(conn, class): X-Consent-Gate: pass class=CLASS ref=REF
function cg.expect_pass_header(conn, class)
	local v = cg.gate_header(conn)
	if v == nil then
		cg.fail("no X-Consent-Gate header added at end of message")
	end
	if not string.find(v, "^%s*pass class=" .. class .. " ref=[%w%-]+") then
		cg.fail("X-Consent-Gate is '" .. v .. "', want 'pass class=" .. class .. " ref=...'")
	end
	return v
end

-- ---------------------------------------------------------------- fixtures
-- Helpers for the cases run against the instance configured from
-- tests/data/rules.conf (run.sh passes -D datadir=tests/data).

-- cg.datadir(): the fixture directory (tests/data).
function cg.datadir()
	return datadir or ((libdir or "tests/miltertest") .. "/../data")
end

-- cg.read_fixture(rel): the headers and body of tests/data/REL as Postfix hands
-- them to a milter: headers = { {name, value}, ... } in order, the value
-- without the blank after the colon, folded lines joined with "\n" (Postfix
-- keeps the line break of a folded header, without CR); body with CRLF lines.
function cg.read_fixture(rel)
	local path = cg.datadir() .. "/" .. rel
	local f, err = io.open(path, "rb")
	if f == nil then
		cg.fail("cannot read fixture " .. path .. ": " .. tostring(err))
	end
	local text = f:read("*a")
	f:close()
	text = string.gsub(text, "\r\n", "\n")
	local head, body = string.match(text, "^(.-)\n\n(.*)$")
	if head == nil then
		head, body = text, ""
	end
	local headers = {}
	for line in string.gmatch(head .. "\n", "([^\n]*)\n") do
		if string.find(line, "^[ \t]") and #headers > 0 then
			local h = headers[#headers]
			h[2] = h[2] .. "\n" .. line
		else
			local name, value = string.match(line, "^([^:]+):[ \t]?(.*)$")
			if name == nil then
				cg.fail("fixture " .. path .. ": not a header line: " .. line)
			end
			table.insert(headers, { name, value })
		end
	end
	body = string.gsub(body, "\n", "\r\n")
	return headers, body
end

-- cg.header_value(headers, name): the first value of header NAME, or nil.
function cg.header_value(headers, name)
	for _, h in ipairs(headers) do
		if string.lower(h[1]) == string.lower(name) then
			return h[2]
		end
	end
	return nil
end

-- cg.fixture(rel, from, rcpts, opts): a message for cg.message() from the
-- fixture tests/data/REL, sent with envelope sender FROM to the envelope
-- recipients RCPTS. opts.set = { Name = value }: replace the first header of
-- that name (add it when missing); opts.drop = { "Name", ... }: remove every
-- header of that name. The fixture's X-Test-Expect must be opts.expect when
-- given (so a changed fixture does not silently change the case).
function cg.fixture(rel, from, rcpts, opts)
	opts = opts or {}
	local headers, body = cg.read_fixture(rel)
	if opts.expect ~= nil then
		local want = cg.header_value(headers, "X-Test-Expect")
		if want ~= opts.expect then
			cg.fail("fixture " .. rel .. " declares X-Test-Expect: " ..
			        tostring(want) .. ", want " .. opts.expect)
		end
	end
	local drop = {}
	for _, n in ipairs(opts.drop or {}) do
		drop[string.lower(n)] = true
	end
	local out, done = {}, {}
	for _, h in ipairs(headers) do
		local lname = string.lower(h[1])
		if not drop[lname] then
			local v = h[2]
			for n, sv in pairs(opts.set or {}) do
				if string.lower(n) == lname and not done[lname] then
					v = sv
					done[lname] = true
				end
			end
			table.insert(out, { h[1], v })
		end
	end
	for n, sv in pairs(opts.set or {}) do
		if not done[string.lower(n)] then
			table.insert(out, { n, sv })
		end
	end
	return { from = from, rcpts = rcpts, headers = out, body = body }
end

-- cg.has_header(m, name): true when message table M carries header NAME.
function cg.has_header(m, name)
	return cg.header_value(m.headers, name) ~= nil
end

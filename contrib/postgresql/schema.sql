-- schema.sql - the central consent store that every consentgate host
-- replicates into its local LMDB (consentctl follow).
--
--   psql -v ON_ERROR_STOP=1 -d consent -f contrib/postgresql/schema.sql
--   psql -v ON_ERROR_STOP=1 -d consent -f contrib/postgresql/roles.sql
--
-- consent          one row per normalised address: the authoritative record.
--                  Its column lists holds the lists of consent the record
--                  covers (consent per list): a jsonb array of
--                  {"name","state","confirmed","withdrawn","doi_sent"}
--                  (times as unix seconds, 0 unset); [] is the one
--                  implicit list.
-- consent_change   append-only log of every change of consent, filled by a
--                  trigger; followers apply it in id order.  A NOTIFY on
--                  channel consent_change carries the new id.
-- consent_change_pruned  the highest id ever pruned; a follower whose last
--                  applied id is below it makes a full resync.
-- evidence         evidence records pushed by the hosts, one per (host, ref);
--                  row-level security lets a host write and read only rows
--                  under its own role name.  evidence_by_subject() lists
--                  the records naming a data subject's keyed hashes (the
--                  same on every host with EvidenceSubjectKeyFile);
--                  evidence_forget() (SECURITY DEFINER, pushed by a host's
--                  consentctl forget) erases what the calling host's
--                  records there could still say in plain text.
--
-- Every writer (the hosts through consent_push, CRMs and forms with
-- INSERT/UPDATE, an administrator in psql) goes through the same rules:
--
-- * CHECK constraints equal to what a host's store can hold (db/codec.c
--   db_consent_check, common/addr.c), so the centre never accepts a row
--   that a replica cannot store: the address in normal form as far as SQL
--   can tell (lower case, NFC, exactly one '@', an ASCII (A-label) domain,
--   no spaces, control characters or angle brackets, at most 320 bytes);
--   the four states; uid at most 128 bytes without spaces, control
--   characters or '@'; ip empty or one IPv4/IPv6 address (inet syntax,
--   dotted quad, no prefix length) of at most 45 bytes; source at most 200
--   and doi_msgid at most 250 bytes without control characters; times
--   after 1970-01-01; lists an array of at most 16 lists, each named once
--   (1-32 of a-z, 0-9, '.', '_', '-') with a known state and whole
--   seconds as times (consent_lists_ok).  Valid UTF-8 is the database encoding's job: the
--   script refuses a database that is not UTF8.
-- * The trigger consent_guard (BEFORE INSERT OR UPDATE), the consent state
--   machine of the hosts (db/consent_sm.c): a withdrawal is left only by a
--   double opt-in made after it, a DOI mail sent at or after the
--   withdrawal (doi_sent) and, for confirmed, a confirmation at or after
--   that mail.  Any other change that would turn a withdrawal back is
--   REFUSED with SQLSTATE 23514 (check_violation) and constraint name
--   consent_withdrawal_guard; the statement fails, nothing is written.  A
--   missing time never counts as "now": without doi_sent and confirmed
--   the change is refused.  The guard also REWRITES, in the safe
--   direction only: times are cut to whole seconds (the hosts keep
--   seconds); the withdrawal and DOI send times never move back (the later
--   of the old and new value is kept); a withdrawal without a time gets
--   the time the centre accepts it; a row saying confirmed with a
--   withdrawal later than its confirmation is stored as withdrawn (the
--   hosts read it so).  An address is never renamed by UPDATE.  Each
--   list an UPDATE names in lists is judged the same way, as the list
--   sees the record (consent_guard_lists, the host's
--   db_sm_replica_lists): the withdrawal of one list is left only by a
--   DOI mail for that list and a confirmation after it (refused naming
--   the list), a list's withdrawal and DOI send never move back, and a
--   list the UPDATE does not name stays.  Only a
--   member of consentgate_admin (or a superuser) may override a refusal,
--   with SET LOCAL consentgate.force_reason = '...'; the change log then
--   notes "forced by ROLE: reason".
--
-- Ordering: the trigger takes one transaction-level advisory lock before it
-- draws an id, so transactions that change consent commit in id order and a
-- follower that has seen id N has seen every committed id below N.  Ids of
-- rolled back transactions leave gaps, which are harmless.
--
-- Hosts push their local changes with consent_push() and
-- consent_push_delete() (SECURITY DEFINER: a host role has no write
-- privilege on consent itself); consent_change.origin is the login role
-- (session_user) of the writer, or for a superuser session the value of
-- consentgate.origin if set.  roles.sql creates the roles and GRANTs.
-- The script is idempotent: it may be loaded again over itself.

DO $$
BEGIN
	IF getdatabaseencoding() <> 'UTF8' THEN
		RAISE EXCEPTION 'the consent database must use encoding UTF8, not %',
			getdatabaseencoding()
			USING HINT = 'createdb -E UTF8 -T template0 --locale=C.UTF-8 consent';
	END IF;
END $$;

BEGIN;

CREATE TABLE IF NOT EXISTS consent (
	address    text PRIMARY KEY,
	state      text NOT NULL DEFAULT 'pending',
	uid        text UNIQUE,
	created    timestamptz,
	confirmed  timestamptz,
	withdrawn  timestamptz,
	ip         text NOT NULL DEFAULT '',
	source     text NOT NULL DEFAULT '',
	tracking   boolean NOT NULL DEFAULT false,
	doi_sent   timestamptz,
	doi_msgid  text NOT NULL DEFAULT '',
	updated_at timestamptz NOT NULL DEFAULT now()
);
-- Consent per list; added to stores made before lists.
ALTER TABLE consent ADD COLUMN IF NOT EXISTS
	lists      jsonb NOT NULL DEFAULT '[]';

CREATE TABLE IF NOT EXISTS consent_change (
	id         bigserial PRIMARY KEY,
	op         text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
	address    text NOT NULL,
	-- The full new row (NULL state for a delete).
	state      text,
	uid        text,
	created    timestamptz,
	confirmed  timestamptz,
	withdrawn  timestamptz,
	ip         text,
	source     text,
	tracking   boolean,
	doi_sent   timestamptz,
	doi_msgid  text,
	changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	origin     text
);
ALTER TABLE consent_change ADD COLUMN IF NOT EXISTS lists jsonb;
-- Added after the first release: why a refusal was overridden.
ALTER TABLE consent_change ADD COLUMN IF NOT EXISTS note text;

CREATE TABLE IF NOT EXISTS consent_change_pruned (
	one        boolean PRIMARY KEY DEFAULT true CHECK (one),
	upto       bigint NOT NULL DEFAULT 0
);
INSERT INTO consent_change_pruned (one, upto) VALUES (true, 0)
	ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS evidence (
	host        text NOT NULL,
	ref         text NOT NULL,
	seq         bigint NOT NULL,
	record      jsonb NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (host, ref)
);
CREATE INDEX IF NOT EXISTS evidence_time ON evidence ((record->>'time'));

-- The limits of a host's store (db/codec.c db_consent_check and
-- common/addr.c addr_normalise), as far as SQL can check them.
CREATE OR REPLACE FUNCTION consent_address_ok(a text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT octet_length(a) BETWEEN 3 AND 320
		AND a = lower(a)
		AND a !~ '[\x01-\x20\x7f<>]'
		AND a ~ '^[^@]+@[^@]+$'
		AND a IS NFC NORMALIZED
		AND split_part(a, '@', 2) ~
			'^(([a-z0-9_-]+\.)*[a-z0-9_-]+|\[[a-z0-9.:]+\])$'
$$;

CREATE OR REPLACE FUNCTION consent_text_ok(t text, max_bytes int)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT octet_length(t) <= max_bytes AND t !~ '[\x01-\x1f\x7f]'
$$;

-- An IPv4 or IPv6 address as inet_pton(3) takes it, or ''.
CREATE OR REPLACE FUNCTION consent_ip_ok(ip text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	a inet;
BEGIN
	IF ip = '' THEN
		RETURN true;
	END IF;
	IF octet_length(ip) > 45 OR position('/' in ip) > 0 THEN
		RETURN false;
	END IF;
	BEGIN
		a := ip::inet;
	EXCEPTION WHEN others THEN
		RETURN false;
	END;
	RETURN family(a) = 6 OR
		ip ~ '^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$';
END $$;

-- The lists as a host's store holds them (db/codec.c db_lists_check): an
-- array of at most 16 objects, each with a name of 1-32 of a-z, 0-9, '.',
-- '_', '-' (no name twice), one of the four states and its times
-- (confirmed, withdrawn, doi_sent) absent or whole unix seconds.
CREATE OR REPLACE FUNCTION consent_lists_ok(l jsonb) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF jsonb_typeof(l) <> 'array' OR jsonb_array_length(l) > 16 THEN
		RETURN false;
	END IF;
	IF EXISTS (SELECT 1 FROM jsonb_array_elements(l) e
		   WHERE jsonb_typeof(e) <> 'object') THEN
		RETURN false;
	END IF;
	RETURN NOT EXISTS (SELECT 1 FROM jsonb_array_elements(l) e
		WHERE coalesce(e->>'name', '') !~ '^[a-z0-9._-]{1,32}$'
		OR coalesce(e->>'state', '') NOT IN ('pending', 'confirmed',
						     'withdrawn', 'customer')
		OR EXISTS (SELECT 1 FROM unnest(ARRAY['confirmed', 'withdrawn',
						      'doi_sent']) k
			   WHERE e ? k AND (jsonb_typeof(e->k) <> 'number' OR
					    e->>k !~ '^[0-9]{1,15}$')))
		AND (SELECT count(DISTINCT e->>'name')
		     FROM jsonb_array_elements(l) e) = jsonb_array_length(l);
END $$;

DO $$
DECLARE
	c text;
BEGIN
	-- The checks of the first release, replaced by the named ones.
	FOREACH c IN ARRAY ARRAY['consent_address_check',
		'consent_state_check', 'consent_uid_check'] LOOP
		EXECUTE format('ALTER TABLE consent DROP CONSTRAINT IF EXISTS %I', c);
	END LOOP;
END $$;
ALTER TABLE consent
	DROP CONSTRAINT IF EXISTS consent_address_form,
	DROP CONSTRAINT IF EXISTS consent_state_known,
	DROP CONSTRAINT IF EXISTS consent_uid_form,
	DROP CONSTRAINT IF EXISTS consent_ip_form,
	DROP CONSTRAINT IF EXISTS consent_source_form,
	DROP CONSTRAINT IF EXISTS consent_doi_msgid_form,
	DROP CONSTRAINT IF EXISTS consent_times_after_1970,
	DROP CONSTRAINT IF EXISTS consent_lists_form;
ALTER TABLE consent
	ADD CONSTRAINT consent_address_form CHECK (consent_address_ok(address)),
	ADD CONSTRAINT consent_state_known
		CHECK (state IN ('pending', 'confirmed', 'withdrawn', 'customer')),
	ADD CONSTRAINT consent_uid_form CHECK (uid IS NULL OR
		(uid <> '' AND octet_length(uid) <= 128 AND
		 uid !~ '[\x01-\x20\x7f@]')),
	ADD CONSTRAINT consent_ip_form CHECK (consent_ip_ok(ip)),
	ADD CONSTRAINT consent_source_form CHECK (consent_text_ok(source, 200)),
	ADD CONSTRAINT consent_doi_msgid_form
		CHECK (consent_text_ok(doi_msgid, 250)),
	ADD CONSTRAINT consent_times_after_1970 CHECK (
		coalesce(created, confirmed, withdrawn, doi_sent) IS NULL OR
		least(created, confirmed, withdrawn, doi_sent) > 'epoch'),
	ADD CONSTRAINT consent_lists_form CHECK (consent_lists_ok(lists));

-- Hosts write evidence only under their own role name (roles.sql grants
-- SELECT and INSERT to consentgate_host; the SELECT policy is what
-- INSERT ... ON CONFLICT needs to see the conflicting row).
ALTER TABLE evidence ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS evidence_own_read ON evidence;
DROP POLICY IF EXISTS evidence_own_write ON evidence;
CREATE POLICY evidence_own_read ON evidence FOR SELECT
	USING (host = current_user);
CREATE POLICY evidence_own_write ON evidence FOR INSERT
	WITH CHECK (host = current_user);

-- Who wrote a change: the login role; a superuser session may name a host
-- with consentgate.origin (SET LOCAL or set_config).
CREATE OR REPLACE FUNCTION consent_origin() RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN (SELECT rolsuper FROM pg_roles
			  WHERE rolname = session_user)
		THEN coalesce(nullif(current_setting('consentgate.origin', true),
				     ''), session_user)
		ELSE session_user END
$$;

-- The trigger: serialise, log the change, notify the followers.  It runs
-- as the owner of the schema (SECURITY DEFINER): no writer needs, or may
-- have, a privilege on consent_change itself.
CREATE OR REPLACE FUNCTION consent_log_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
	new_id bigint;
	who text := consent_origin();
	why text := NULL;
BEGIN
	-- One lock for every writer of consent, held to commit: ids commit in
	-- order (see the head of this file).
	PERFORM pg_advisory_xact_lock(7336001);
	IF TG_OP <> 'DELETE' AND current_setting('consentgate.forced', true)
			= NEW.address THEN
		why := format('forced by %s: %s', session_user,
			current_setting('consentgate.force_reason', true));
	END IF;
	IF TG_OP = 'DELETE' THEN
		INSERT INTO consent_change (op, address, origin)
		VALUES ('delete', OLD.address, who)
		RETURNING id INTO new_id;
	ELSE
		INSERT INTO consent_change (op, address, state, uid, created,
			confirmed, withdrawn, ip, source, tracking, doi_sent,
			doi_msgid, lists, origin, note)
		VALUES (lower(TG_OP), NEW.address, NEW.state, NEW.uid,
			NEW.created, NEW.confirmed, NEW.withdrawn, NEW.ip,
			NEW.source, NEW.tracking, NEW.doi_sent, NEW.doi_msgid,
			NEW.lists, who, why)
		RETURNING id INTO new_id;
	END IF;
	PERFORM pg_notify('consent_change', new_id::text);
	RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS consent_change_log ON consent;
CREATE TRIGGER consent_change_log AFTER INSERT OR UPDATE OR DELETE ON consent
	FOR EACH ROW EXECUTE FUNCTION consent_log_change();

-- The state a reader acts on: confirmed with a later withdrawal is
-- withdrawn (db/consent_sm.c db_consent_effective_state).
CREATE OR REPLACE FUNCTION consent_effective_state(st text,
	confirmed timestamptz, withdrawn timestamptz)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN st = 'confirmed' AND withdrawn IS NOT NULL AND
			 withdrawn > coalesce(confirmed, '-infinity')
		THEN 'withdrawn' ELSE st END
$$;

-- May the session override a refusal of the guard?
CREATE OR REPLACE FUNCTION consent_may_force() RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce(nullif(current_setting('consentgate.force_reason', true),
			       ''), '') <> '' AND
		((SELECT rolsuper FROM pg_roles WHERE rolname = session_user) OR
		 (EXISTS (SELECT 1 FROM pg_roles
			  WHERE rolname = 'consentgate_admin') AND
		  pg_has_role(session_user, 'consentgate_admin', 'MEMBER')))
$$;

-- Refuse (or let an administrator force) one change; msg has one %s for
-- the address.
CREATE OR REPLACE FUNCTION consent_guard_refuse(addr text, msg text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF consent_may_force() THEN
		RAISE NOTICE 'consent of %: % (forced)', addr, msg;
		PERFORM set_config('consentgate.forced', addr, true);
		RETURN;
	END IF;
	RAISE EXCEPTION 'consent of %: %', addr, msg
		USING ERRCODE = 'check_violation',
		CONSTRAINT = 'consent_withdrawal_guard',
		HINT = 'A withdrawal is left only by a DOI mail sent at or '
			'after it and a confirmation at or after that mail.';
END $$;

-- Why a change from a withdrawal (ow) must be refused, or NULL: the old
-- effective state and confirmation against the new effective state,
-- confirmation and DOI send (db/consent_sm.c db_sm_replica_check).
CREATE OR REPLACE FUNCTION consent_sm_refusal(o_eff text,
	o_confirmed timestamptz, ow timestamptz, n_eff text,
	n_confirmed timestamptz, n_doi timestamptz)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
	-- Nothing to guard: no withdrawal, the change withdraws, or the
	-- record holds a consent given after its withdrawal.
	IF ow IS NULL OR n_eff = 'withdrawn' OR
	   (o_eff = 'confirmed' AND o_confirmed >= ow) THEN
		RETURN NULL;
	END IF;
	IF o_eff = 'withdrawn' AND (n_doi IS NULL OR n_doi < ow) THEN
		RETURN format('would %s the withdrawal of %s (no DOI mail was '
			'sent after it)', CASE n_eff WHEN 'confirmed' THEN
			're-confirm' ELSE 'undo' END, ow);
	ELSIF n_eff = 'confirmed' AND (n_confirmed IS NULL OR n_doi IS NULL OR
				      n_confirmed < n_doi) THEN
		RETURN format('would re-confirm the withdrawal of %s (the '
			'confirmation of %s is not after the DOI mail of %s)', ow,
			coalesce(n_confirmed::text, 'no time'),
			coalesce(n_doi::text, 'no time'));
	END IF;
	RETURN NULL;
END $$;

-- A time of a list (unix seconds, 0 or absent unset) as a timestamptz.
CREATE OR REPLACE FUNCTION consent_list_ts(l jsonb, k text)
RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN coalesce((l->>k)::bigint, 0) = 0 THEN NULL
		ELSE to_timestamp((l->>k)::bigint) END
$$;

-- The lists of an update (n_lists) against the old ones, each judged like
-- the record as the list sees it (its state and times, the later of the
-- record's and its own withdrawal), as a host judges a central row
-- (db/consent_merge.c db_sm_replica_lists): a list may not leave its
-- withdrawal without a DOI mail for it sent at or after the withdrawal
-- and, for confirmed, a confirmation at or after that mail (refused, or
-- forced, by consent_guard_refuse, naming the list); a list's withdrawal
-- and DOI send never move back; a list the update does not name stays.
-- o_wd and n_wd are the record's withdrawal times (n_wd as written).
-- Returns the lists to store.
CREATE OR REPLACE FUNCTION consent_guard_lists(addr text, o_lists jsonb,
	o_wd timestamptz, n_lists jsonb, n_wd timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	ol jsonb;
	nl jsonb;
	ow timestamptz;
	why text;
	res jsonb := '[]';
BEGIN
	FOR nl IN SELECT e FROM jsonb_array_elements(n_lists)
			WITH ORDINALITY x(e, o) ORDER BY o LOOP
		SELECT e INTO ol FROM jsonb_array_elements(o_lists) e
			WHERE e->>'name' = nl->>'name';
		IF ol IS NOT NULL THEN
			ow := greatest(o_wd, consent_list_ts(ol, 'withdrawn'));
			why := consent_sm_refusal(consent_effective_state(
					ol->>'state', consent_list_ts(ol, 'confirmed'),
					ow), consent_list_ts(ol, 'confirmed'), ow,
				consent_effective_state(nl->>'state',
					consent_list_ts(nl, 'confirmed'), greatest(n_wd,
					consent_list_ts(nl, 'withdrawn'))),
				consent_list_ts(nl, 'confirmed'),
				greatest(consent_list_ts(nl, 'doi_sent'),
					 consent_list_ts(ol, 'doi_sent')));
			IF why IS NOT NULL THEN
				PERFORM consent_guard_refuse(addr, format('list %s: %s',
					nl->>'name', why));
			END IF;
			IF consent_secs(ow) > coalesce((nl->>'withdrawn')::bigint, 0)
			THEN
				nl := nl || jsonb_build_object('withdrawn',
					consent_secs(ow));
			END IF;
			IF coalesce((ol->>'doi_sent')::bigint, 0) >
			   coalesce((nl->>'doi_sent')::bigint, 0) THEN
				nl := nl || jsonb_build_object('doi_sent',
					ol->'doi_sent');
			END IF;
		END IF;
		res := res || jsonb_build_array(nl);
	END LOOP;
	FOR ol IN SELECT e FROM jsonb_array_elements(o_lists)
			WITH ORDINALITY x(e, o) ORDER BY o LOOP
		IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(res) e
			       WHERE e->>'name' = ol->>'name') AND
		   jsonb_array_length(res) < 16 THEN
			res := res || jsonb_build_array(ol);
		END IF;
	END LOOP;
	RETURN res;
END $$;

-- A change of the record that leaves lists as they were (a writer that
-- knows no lists: a CRM's re-opt-in, an administrator's forced
-- confirmation, a withdrawal) goes to the lists as the hosts step an
-- event without a list (db/consent_sm.h, "Lists"), so that the record's
-- state, which the hosts take from its lists, is the one written: a
-- withdrawal withdraws every list; any other state goes to every list,
-- except that lists withdrawn on their own stay withdrawn while others
-- are not.  A DOI send new to the record goes to the lists it reaches.
CREATE OR REPLACE FUNCTION consent_record_to_lists(l jsonb, o consent,
	n consent)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	e jsonb;
	w boolean;
	all_w boolean;
	res jsonb := '[]';
BEGIN
	SELECT bool_and(consent_effective_state(x->>'state',
		consent_list_ts(x, 'confirmed'), greatest(o.withdrawn,
		consent_list_ts(x, 'withdrawn'))) = 'withdrawn')
		INTO all_w FROM jsonb_array_elements(l) x;
	FOR e IN SELECT x FROM jsonb_array_elements(l) WITH ORDINALITY y(x, i)
			ORDER BY i LOOP
		w := consent_effective_state(e->>'state',
			consent_list_ts(e, 'confirmed'), greatest(o.withdrawn,
			consent_list_ts(e, 'withdrawn'))) = 'withdrawn';
		IF n.state = 'withdrawn' THEN
			e := e || jsonb_build_object('state', 'withdrawn',
				'withdrawn', greatest(coalesce((e->>'withdrawn')::bigint,
				0), consent_secs(n.withdrawn)));
		ELSIF NOT w OR all_w THEN
			IF n.state = 'confirmed' AND (w OR e->>'state' <> 'confirmed')
			THEN
				e := e || jsonb_build_object('confirmed',
					consent_secs(n.confirmed));
			END IF;
			e := e || jsonb_build_object('state', n.state);
			IF n.doi_sent IS DISTINCT FROM o.doi_sent THEN
				e := e || jsonb_build_object('doi_sent', greatest(
					coalesce((e->>'doi_sent')::bigint, 0),
					consent_secs(n.doi_sent)));
			END IF;
		END IF;
		res := res || jsonb_build_array(e);
	END LOOP;
	RETURN res;
END $$;

-- The consent state machine for every writer (see the head of this file).
CREATE OR REPLACE FUNCTION consent_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	ow timestamptz;
	n_eff text;
	n_wd timestamptz := date_trunc('second', NEW.withdrawn);
	why text;
BEGIN
	-- What the writer asks for, judged on its own times (as the hosts
	-- judge a central row), before the rewrites below.
	n_eff := consent_effective_state(NEW.state, NEW.confirmed,
					 NEW.withdrawn);
	NEW.created := date_trunc('second', NEW.created);
	NEW.confirmed := date_trunc('second', NEW.confirmed);
	NEW.withdrawn := date_trunc('second', NEW.withdrawn);
	NEW.doi_sent := date_trunc('second', NEW.doi_sent);
	IF TG_OP = 'UPDATE' THEN
		IF NEW.address <> OLD.address THEN
			RAISE EXCEPTION 'consent of %: an address is not renamed; '
				'insert a record for %', OLD.address, NEW.address
				USING ERRCODE = 'check_violation',
				CONSTRAINT = 'consent_withdrawal_guard';
		END IF;
		-- A withdrawal and a DOI send are never forgotten.  A
		-- withdrawn record of the first release without a time
		-- counts as withdrawn when it was last written.
		ow := OLD.withdrawn;
		IF ow IS NULL AND OLD.state = 'withdrawn' THEN
			ow := date_trunc('second', OLD.updated_at);
		END IF;
		IF ow IS NOT NULL AND (NEW.withdrawn IS NULL OR
				       NEW.withdrawn < ow) THEN
			NEW.withdrawn := ow;
		END IF;
		IF OLD.doi_sent IS NOT NULL AND (NEW.doi_sent IS NULL OR
						 NEW.doi_sent < OLD.doi_sent) THEN
			NEW.doi_sent := OLD.doi_sent;
			NEW.doi_msgid := OLD.doi_msgid;
		END IF;
	END IF;
	IF NEW.state = 'withdrawn' AND NEW.withdrawn IS NULL THEN
		NEW.withdrawn := date_trunc('second', now());
	END IF;
	NEW.state := consent_effective_state(NEW.state, NEW.confirmed,
					     NEW.withdrawn);
	IF TG_OP <> 'UPDATE' THEN
		RETURN NEW;
	END IF;
	why := consent_sm_refusal(consent_effective_state(OLD.state,
			OLD.confirmed, ow), OLD.confirmed, ow, n_eff,
		NEW.confirmed, NEW.doi_sent);
	IF why IS NOT NULL THEN
		PERFORM consent_guard_refuse(NEW.address, why);
	END IF;
	-- Consent per list: each list like the record.
	IF NEW.lists IS DISTINCT FROM OLD.lists AND
	   jsonb_typeof(NEW.lists) = 'array' THEN
		NEW.lists := consent_guard_lists(NEW.address, OLD.lists, ow,
						 NEW.lists, n_wd);
	ELSIF NEW.lists IS NOT DISTINCT FROM OLD.lists AND
	      jsonb_array_length(OLD.lists) > 0 AND
	      (NEW.state, NEW.confirmed, NEW.withdrawn, NEW.doi_sent) IS DISTINCT
	      FROM (OLD.state, OLD.confirmed, OLD.withdrawn, OLD.doi_sent) THEN
		NEW.lists := consent_record_to_lists(OLD.lists, OLD, NEW);
	END IF;
	RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS consent_guard ON consent;
CREATE TRIGGER consent_guard BEFORE INSERT OR UPDATE ON consent
	FOR EACH ROW EXECUTE FUNCTION consent_guard();

CREATE OR REPLACE FUNCTION consent_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS consent_touch ON consent;
CREATE TRIGGER consent_touch BEFORE UPDATE ON consent
	FOR EACH ROW EXECUTE FUNCTION consent_touch();

-- When did the state of a record happen?  The time a push is judged by.
CREATE OR REPLACE FUNCTION consent_event_time(st text, created timestamptz,
	confirmed timestamptz, withdrawn timestamptz, doi_sent timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE st
		WHEN 'confirmed' THEN coalesce(confirmed, created, '-infinity')
		WHEN 'withdrawn' THEN coalesce(withdrawn, '-infinity')
		WHEN 'pending' THEN greatest(coalesce(created, '-infinity'),
					     coalesce(doi_sent, '-infinity'))
		ELSE coalesce(created, '-infinity')
	END
$$;

-- Unix seconds (0 or NULL: unset) as a timestamptz, and back.
CREATE OR REPLACE FUNCTION consent_ts(s bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN s IS NULL OR s = 0 THEN NULL ELSE to_timestamp(s) END
$$;

CREATE OR REPLACE FUNCTION consent_secs(t timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(extract(epoch FROM t)::bigint, 0)
$$;

-- A host's local change: insert or replace the record through the guard
-- above, its lists included (p_lists, the jsonb of consent.lists; NULL, as
-- for a writer that calls it with the first eleven arguments only, keeps
-- the central lists).  A uid that another address holds centrally is
-- dropped (with a WARNING).  Returns 'written', 'same' (nothing to change)
-- or 'refused' (the guard refused: the central withdrawal, of the record
-- or of a list, stands and the host takes the centre's row).  A row that
-- breaks a CHECK constraint or is not valid text is an ERROR: the host
-- keeps the entry in its outbox and, after a few tries, sets it aside as
-- a dead letter (consentctl outbox).
-- SECURITY DEFINER: hosts have no write privilege on consent itself.
-- The form of the first release, without the lists: replaced (a call
-- with eleven arguments reaches the new one through p_lists' default).
DROP FUNCTION IF EXISTS consent_push(text, text, text, bigint, bigint,
	bigint, text, text, boolean, bigint, text);
CREATE OR REPLACE FUNCTION consent_push(p_address text, p_state text,
	p_uid text, p_created bigint, p_confirmed bigint, p_withdrawn bigint,
	p_ip text, p_source text, p_tracking boolean, p_doi_sent bigint,
	p_doi_msgid text, p_lists jsonb DEFAULT NULL)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
DECLARE
	o consent%ROWTYPE;
	n consent%ROWTYPE;
	c text;
BEGIN
	PERFORM pg_advisory_xact_lock(7336001);
	n.address := p_address;
	n.state := p_state;
	n.uid := nullif(p_uid, '');
	n.created := consent_ts(p_created);
	n.confirmed := consent_ts(p_confirmed);
	n.withdrawn := consent_ts(p_withdrawn);
	n.ip := coalesce(p_ip, '');
	n.source := coalesce(p_source, '');
	n.tracking := coalesce(p_tracking, false);
	n.doi_sent := consent_ts(p_doi_sent);
	n.doi_msgid := coalesce(p_doi_msgid, '');
	IF n.uid IS NOT NULL AND EXISTS (SELECT 1 FROM consent
			WHERE uid = n.uid AND address <> n.address) THEN
		RAISE WARNING 'consent_push: uid % of % belongs to another address; dropped',
			n.uid, n.address;
		n.uid := NULL;
	END IF;
	SELECT * INTO o FROM consent WHERE address = n.address;
	n.lists := coalesce(p_lists, o.lists, '[]');
	IF FOUND AND (o.state, o.uid, o.created, o.confirmed, o.withdrawn, o.ip,
		    o.source, o.tracking, o.doi_sent, o.doi_msgid, o.lists)
		   IS NOT DISTINCT FROM
		   (n.state, n.uid, n.created, n.confirmed, n.withdrawn, n.ip,
		    n.source, n.tracking, n.doi_sent, n.doi_msgid, n.lists) THEN
		RETURN 'same';
	END IF;
	BEGIN
		INSERT INTO consent (address, state, uid, created, confirmed,
			withdrawn, ip, source, tracking, doi_sent, doi_msgid,
			lists)
		VALUES (n.address, n.state, n.uid, n.created, n.confirmed,
			n.withdrawn, n.ip, n.source, n.tracking, n.doi_sent,
			n.doi_msgid, n.lists)
		ON CONFLICT (address) DO UPDATE SET state = EXCLUDED.state,
			uid = EXCLUDED.uid, created = EXCLUDED.created,
			confirmed = EXCLUDED.confirmed,
			withdrawn = EXCLUDED.withdrawn, ip = EXCLUDED.ip,
			source = EXCLUDED.source, tracking = EXCLUDED.tracking,
			doi_sent = EXCLUDED.doi_sent,
			doi_msgid = EXCLUDED.doi_msgid, lists = EXCLUDED.lists;
	EXCEPTION WHEN check_violation THEN
		GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
		IF c <> 'consent_withdrawal_guard' THEN
			RAISE;
		END IF;
		RETURN 'refused';
	END;
	RETURN 'written';
END $$;

-- A host removed a record (consentctl forget, purge).  'deleted' or
-- 'none'.  SECURITY DEFINER like consent_push.
CREATE OR REPLACE FUNCTION consent_push_delete(p_address text)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
BEGIN
	DELETE FROM consent WHERE address = p_address;
	RETURN CASE WHEN FOUND THEN 'deleted' ELSE 'none' END;
END $$;

-- Forget the change log older than keep (at least one row stays, so that
-- a follower that is up to date never resyncs).  Followers whose last
-- applied id is at or below the recorded mark make a full resync.
CREATE OR REPLACE FUNCTION consent_change_prune(keep interval)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
DECLARE
	mark bigint;
	n bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(7336001);
	SELECT max(id) INTO mark FROM consent_change
		WHERE changed_at < now() - keep
		AND id < (SELECT max(id) FROM consent_change);
	IF mark IS NULL THEN
		RETURN 0;
	END IF;
	DELETE FROM consent_change WHERE id <= mark;
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE consent_change_pruned SET upto = greatest(upto, mark);
	RETURN n;
END $$;

-- Verifying a replica (consentctl follow --verify): a digest of the
-- replicated fields per address range, computed exactly as a host computes
-- it over its LMDB store (db/replica_digest.c, whose top comment is the
-- host's definition; the two must stay equal).  The view consent_digest
-- below is this side's one definition.  THE DIGEST:
--   line   = the fields joined by chr(31): address, the effective state,
--            uid, created, confirmed, withdrawn, ip, source, tracking,
--            doi_sent, doi_msgid, lists; times as unix seconds (NULL: 0),
--            text NULL as '', tracking '1' or '0', lists as
--            'NAME STATE CONFIRMED WITHDRAWN DOI_SENT' per list (times as
--            above) sorted by name bytewise and joined by ','; '[]' is
--            the implicit list 'default' in the record's effective state
--            with the record's times, as a host stores it.  The lists are
--            digested: they decide consent per list on every host, and
--            their jsonb text (key order, spaces, missing keys) is taken
--            apart into this one form first.
--   row    = hex sha256 of the line (UTF-8).
--   bucket = first byte of sha256 of the address (256 ranges).
--   range  = hex sha256 of the row digests of the bucket concatenated in
--            address order COLLATE "C" (bytewise, as LMDB keys).
-- updated_at is the centre's own and is not digested.
--
-- One row per record: its range, line and row digest (a view, so the
-- planner inlines it: a function per row costs seconds on 60,000 rows).
CREATE OR REPLACE FUNCTION consent_digest_bucket(a text)
RETURNS int LANGUAGE sql IMMUTABLE AS $$
	SELECT get_byte(sha256(convert_to(a, 'UTF8')), 0)
$$;

CREATE OR REPLACE VIEW consent_digest AS
	SELECT address, consent_digest_bucket(address) AS bucket, line,
		encode(sha256(convert_to(line, 'UTF8')), 'hex') AS digest
	FROM (SELECT c.address, concat_ws(chr(31), c.address,
		consent_effective_state(c.state, c.confirmed, c.withdrawn),
		coalesce(c.uid, ''), consent_secs(c.created),
		consent_secs(c.confirmed), consent_secs(c.withdrawn),
		coalesce(c.ip, ''), coalesce(c.source, ''),
		CASE WHEN c.tracking THEN '1' ELSE '0' END,
		consent_secs(c.doi_sent), coalesce(c.doi_msgid, ''),
		coalesce((SELECT string_agg(concat_ws(' ', e->>'name',
				e->>'state',
				coalesce((e->>'confirmed')::bigint, 0),
				coalesce((e->>'withdrawn')::bigint, 0),
				coalesce((e->>'doi_sent')::bigint, 0)), ','
				ORDER BY e->>'name' COLLATE "C")
			FROM jsonb_array_elements(c.lists) e),
			concat_ws(' ', 'default', consent_effective_state(c.state,
				c.confirmed, c.withdrawn), consent_secs(c.confirmed),
				consent_secs(c.withdrawn), consent_secs(c.doi_sent))))
		AS line
		FROM consent c) x;

-- Every range that holds records: bucket, count, digest.
CREATE OR REPLACE FUNCTION consent_verify_buckets()
RETURNS TABLE (bucket int, n bigint, digest text)
LANGUAGE sql STABLE AS $$
	SELECT d.bucket, count(*), encode(sha256(convert_to(string_agg(d.digest,
			'' ORDER BY d.address COLLATE "C"), 'UTF8')), 'hex')
	FROM consent_digest d
	GROUP BY d.bucket ORDER BY d.bucket
$$;

-- The row digests of one range, in address order.
CREATE OR REPLACE FUNCTION consent_verify_rows(p_bucket int)
RETURNS TABLE (address text, digest text)
LANGUAGE sql STABLE AS $$
	SELECT d.address, d.digest FROM consent_digest d
	WHERE d.bucket = p_bucket
	ORDER BY d.address COLLATE "C"
$$;

-- A data subject at the centre (issue #19 item 6).  Records name a subject
-- only by keyed hashes (sender_h, recipients_h: a comma-joined string in
-- records of version 2, an array since version 3); with one
-- EvidenceSubjectKeyFile for the deployment every host computes the same
-- hash, so one query finds the subject's decisions on all hosts.
ALTER TABLE evidence ADD COLUMN IF NOT EXISTS forgotten_at timestamptz;

CREATE OR REPLACE FUNCTION evidence_names(r jsonb, p_hashes text[])
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(r->>'sender_h' = ANY (p_hashes), false)
		OR CASE jsonb_typeof(r->'recipients_h')
		WHEN 'array' THEN EXISTS (SELECT 1 FROM
			jsonb_array_elements_text(r->'recipients_h') h
			WHERE h = ANY (p_hashes))
		WHEN 'string' THEN string_to_array(r->>'recipients_h', ',')
			&& p_hashes
		ELSE false END
$$;

-- Every record naming one of p_hashes (the subject's hashes under each
-- key of the deployment), oldest first.  Runs with the caller's rights:
-- an administrator sees every host's records, a host its own.
CREATE OR REPLACE FUNCTION evidence_by_subject(p_hashes text[])
RETURNS TABLE (host text, ref text, seq bigint, record jsonb,
	forgotten_at timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT e.host, e.ref, e.seq, e.record, e.forgotten_at FROM evidence e
	WHERE evidence_names(e.record, p_hashes)
	ORDER BY e.record->>'time', e.host, e.seq
$$;

-- What a forgotten subject's record may still say in plain text at the
-- centre: records of version 1 (personal fields in the record) and 2 (the
-- rules as one string, whose details may hold an address in a URL or a
-- uid).  Version 3 records keep such details as hashes already.  The
-- hashes stay: the decision remains listed, pseudonymised.
CREATE OR REPLACE FUNCTION evidence_scrub(r jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN r ? 'version' THEN r
		ELSE (r - 'sender' - 'recipients' - 'client_ip')
			|| jsonb_build_object('rules', '', 'rules_erased', true)
		END
$$;

-- consentctl forget on a host reaches the centre's copy: the follower
-- pushes the subject's hashes; the calling host's records naming them are
-- scrubbed and marked.  SECURITY DEFINER: hosts may not UPDATE evidence.
CREATE OR REPLACE FUNCTION evidence_forget(p_hashes text[])
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE evidence SET record = evidence_scrub(record),
		forgotten_at = coalesce(forgotten_at, now())
	WHERE host = consent_origin() AND evidence_names(record, p_hashes);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;

-- Nobody but the owner and the roles of roles.sql: functions are
-- executable by PUBLIC unless revoked.
REVOKE ALL ON consent, consent_change, consent_change_pruned, evidence,
	consent_digest FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION consent_push(text, text, text, bigint, bigint,
	bigint, text, text, boolean, bigint, text, jsonb),
	consent_push_delete(text),
	consent_change_prune(interval), consent_verify_buckets(),
	consent_verify_rows(int), evidence_by_subject(text[]),
	evidence_forget(text[]) FROM PUBLIC;

COMMIT;

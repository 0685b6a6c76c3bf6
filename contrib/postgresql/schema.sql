-- schema.sql - the central consent store that every consentgate host
-- replicates into its local LMDB (consentctl follow).
--
--   psql -v ON_ERROR_STOP=1 -d consent -f contrib/postgresql/schema.sql
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
-- evidence         evidence records pushed by the hosts, one per (host, ref).
--
-- Ordering: the trigger takes one transaction-level advisory lock before it
-- draws an id, so transactions that change consent commit in id order and a
-- follower that has seen id N has seen every committed id below N.  Ids of
-- rolled back transactions leave gaps, which are harmless.
--
-- Hosts push their local changes with consent_push(), which never lets an
-- older confirmation (or DOI send) overwrite a withdrawal.  The hosts set
-- consentgate.origin (SET LOCAL) so that consent_change.origin names the
-- host a change came from; changes made with psql have origin NULL.
-- The script is idempotent: it may be loaded again over itself.

BEGIN;

CREATE TABLE IF NOT EXISTS consent (
	address    text PRIMARY KEY
	           CHECK (address = lower(address) AND address ~ '^[^<> ]+@[^<> @]+$'),
	state      text NOT NULL DEFAULT 'pending'
	           CHECK (state IN ('pending', 'confirmed', 'withdrawn', 'customer')),
	uid        text UNIQUE CHECK (uid IS NULL OR (uid <> '' AND uid !~ '[[:space:]@]')),
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

-- The trigger: serialise, log the change, notify the followers.
CREATE OR REPLACE FUNCTION consent_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	new_id bigint;
	who text := nullif(current_setting('consentgate.origin', true), '');
BEGIN
	-- One lock for every writer of consent, held to commit: ids commit in
	-- order (see the head of this file).
	PERFORM pg_advisory_xact_lock(7336001);
	IF TG_OP = 'DELETE' THEN
		INSERT INTO consent_change (op, address, origin)
		VALUES ('delete', OLD.address, who)
		RETURNING id INTO new_id;
	ELSE
		IF TG_OP = 'UPDATE' AND OLD.address <> NEW.address THEN
			INSERT INTO consent_change (op, address, origin)
			VALUES ('delete', OLD.address, who);
		END IF;
		INSERT INTO consent_change (op, address, state, uid, created,
			confirmed, withdrawn, ip, source, tracking, doi_sent,
			doi_msgid, lists, origin)
		VALUES (lower(TG_OP), NEW.address, NEW.state, NEW.uid,
			NEW.created, NEW.confirmed, NEW.withdrawn, NEW.ip,
			NEW.source, NEW.tracking, NEW.doi_sent, NEW.doi_msgid,
			NEW.lists, who)
		RETURNING id INTO new_id;
	END IF;
	PERFORM pg_notify('consent_change', new_id::text);
	RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS consent_change_log ON consent;
CREATE TRIGGER consent_change_log AFTER INSERT OR UPDATE OR DELETE ON consent
	FOR EACH ROW EXECUTE FUNCTION consent_log_change();

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

-- A host's local change: insert or replace the record, except that a
-- withdrawal is never overwritten by a record whose own time is not later
-- than the withdrawal (Art. 7(3) GDPR: a withdrawal wins ties).  A uid that
-- another address holds centrally is dropped (with a WARNING).  Returns
-- 'written', 'same' (nothing to change), 'refused' (the central
-- withdrawal stands) or 'invalid' (the row breaks a constraint; WARNING).
-- The lists are not part of it: after 'written' or 'same' the host sets
-- consent.lists with an UPDATE of that column alone (ctl/follow_sync.c).
CREATE OR REPLACE FUNCTION consent_push(p_address text, p_state text,
	p_uid text, p_created bigint, p_confirmed bigint, p_withdrawn bigint,
	p_ip text, p_source text, p_tracking boolean, p_doi_sent bigint,
	p_doi_msgid text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	o consent%ROWTYPE;
	n consent%ROWTYPE;
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
	IF FOUND THEN
		IF o.state = 'withdrawn' AND n.state <> 'withdrawn' AND
		   consent_event_time(n.state, n.created, n.confirmed,
			n.withdrawn, n.doi_sent)
		   <= coalesce(o.withdrawn, 'infinity') THEN
			RETURN 'refused';
		END IF;
		IF (o.state, o.uid, o.created, o.confirmed, o.withdrawn, o.ip,
		    o.source, o.tracking, o.doi_sent, o.doi_msgid)
		   IS NOT DISTINCT FROM
		   (n.state, n.uid, n.created, n.confirmed, n.withdrawn, n.ip,
		    n.source, n.tracking, n.doi_sent, n.doi_msgid) THEN
			RETURN 'same';
		END IF;
	END IF;
	BEGIN
		INSERT INTO consent (address, state, uid, created, confirmed,
			withdrawn, ip, source, tracking, doi_sent, doi_msgid)
		VALUES (n.address, n.state, n.uid, n.created, n.confirmed,
			n.withdrawn, n.ip, n.source, n.tracking, n.doi_sent,
			n.doi_msgid)
		ON CONFLICT (address) DO UPDATE SET state = EXCLUDED.state,
			uid = EXCLUDED.uid, created = EXCLUDED.created,
			confirmed = EXCLUDED.confirmed,
			withdrawn = EXCLUDED.withdrawn, ip = EXCLUDED.ip,
			source = EXCLUDED.source, tracking = EXCLUDED.tracking,
			doi_sent = EXCLUDED.doi_sent,
			doi_msgid = EXCLUDED.doi_msgid;
	EXCEPTION WHEN check_violation OR unique_violation
		OR not_null_violation OR string_data_right_truncation THEN
		RAISE WARNING 'consent_push: % refused: %', n.address, SQLERRM;
		RETURN 'invalid';
	END;
	RETURN 'written';
END $$;

-- Forget the change log older than keep (at least one row stays, so that
-- a follower that is up to date never resyncs).  Followers whose last
-- applied id is at or below the recorded mark make a full resync.
CREATE OR REPLACE FUNCTION consent_change_prune(keep interval)
RETURNS bigint LANGUAGE plpgsql AS $$
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

COMMIT;

-- roles.sql - the least privileges of the central consent database: three
-- group roles (NOLOGIN) that login roles are made members of.  Load it
-- after schema.sql, as the owner of the schema (or a superuser):
--
--   psql -v ON_ERROR_STOP=1 -d consent -f contrib/postgresql/roles.sql
--   psql -d consent -c "CREATE ROLE mta1 LOGIN PASSWORD '...' IN ROLE consentgate_host"
--   psql -d consent -c "CREATE ROLE crm LOGIN PASSWORD '...' IN ROLE consentgate_writer"
--
-- consentgate_host    one login role per MTA host, named like the host's
--                     `consentctl follow --host` (the default is the role
--                     name).  Reads the change log, the prune mark and the
--                     consent table (pull, resync); writes consent only
--                     through consent_push() and consent_push_delete()
--                     (SECURITY DEFINER, guarded like every writer; the
--                     change log names the role as origin); inserts and
--                     reads evidence only under its own role name (row-level
--                     security, policies in schema.sql).  It cannot write
--                     consent_change, update or delete consent directly, or
--                     see other hosts' evidence.  Calls evidence_forget()
--                     (SECURITY DEFINER; scrubs its own records only) and
--                     consent_verify_buckets() and consent_verify_rows()
--                     and reads the view consent_digest (consentctl follow
--                     --verify).
-- consentgate_writer  CRMs and web forms: SELECT, INSERT and UPDATE on
--                     consent (INSERT ... ON CONFLICT (address) DO UPDATE
--                     works), all through the guard trigger; consent_push()
--                     for writers that want 'refused' as an answer instead
--                     of an error.  No DELETE: deleting a withdrawn record
--                     and inserting it again would bypass the guard.
-- consentgate_admin   the compliance team: everything on consent (DELETE
--                     for erasure requests), read everything, prune the
--                     change log, override the guard with
--                     SET LOCAL consentgate.force_reason = '...'.
--
-- Roles are global to the cluster; the script is idempotent.

BEGIN;

DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['consentgate_host', 'consentgate_writer',
		'consentgate_admin'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END $$;

-- Hosts: read the log and the table, push through the functions, evidence
-- under their own name.
GRANT SELECT ON consent, consent_change, consent_change_pruned
	TO consentgate_host;
GRANT SELECT, INSERT ON evidence TO consentgate_host;
GRANT EXECUTE ON FUNCTION consent_push(text, text, text, bigint, bigint,
	bigint, text, text, boolean, bigint, text, jsonb), consent_push_delete(text)
	TO consentgate_host;
-- consentctl forget reaches the centre's copy of the host's own evidence.
GRANT EXECUTE ON FUNCTION evidence_forget(text[]) TO consentgate_host;
-- consentctl subject --central: every host's records for an administrator
-- (row-level security: a host role sees its own only).
GRANT EXECUTE ON FUNCTION evidence_by_subject(text[])
	TO consentgate_host, consentgate_admin;
-- consentctl follow --verify: the digests of the centre's consent table
-- (plain SQL functions over what the role may SELECT anyway).
GRANT EXECUTE ON FUNCTION consent_verify_buckets(), consent_verify_rows(int)
	TO consentgate_host, consentgate_admin;
GRANT SELECT ON consent_digest TO consentgate_host, consentgate_admin;

-- CRMs and forms: write consent through the guard.
GRANT SELECT, INSERT, UPDATE ON consent TO consentgate_writer;
GRANT EXECUTE ON FUNCTION consent_push(text, text, text, bigint, bigint,
	bigint, text, text, boolean, bigint, text, jsonb) TO consentgate_writer;

-- Administrators.
GRANT SELECT, INSERT, UPDATE, DELETE ON consent TO consentgate_admin;
GRANT SELECT ON consent_change, consent_change_pruned, evidence
	TO consentgate_admin;
GRANT EXECUTE ON FUNCTION consent_change_prune(interval) TO consentgate_admin;
DROP POLICY IF EXISTS evidence_admin_read ON evidence;
CREATE POLICY evidence_admin_read ON evidence FOR SELECT TO consentgate_admin
	USING (true);

COMMIT;

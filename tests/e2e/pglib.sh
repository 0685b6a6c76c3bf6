# tests/e2e/pglib.sh - a private PostgreSQL and consentctl followers for the
# replication test and bench (POSIX sh, sourced after lib.sh and cg_setup).
#
#   pg_setup              initdb (UTF8) in $CG_TMP/pg as user postgres, start
#                         on a free port (unix socket in $CG_TMP/pg), load
#                         contrib/postgresql/schema.sql and roles.sql into
#                         database consent, and make the login roles crm
#                         (consentgate_writer) and compliance
#                         (consentgate_admin)
#   pg_stop / pg_start    stop (fast) and start the same cluster
#   pg_sql SQL            one statement as the superuser (test set-up and
#                         inspection only), unaligned output
#   pg_sql_as ROLE SQL    one statement as login role ROLE
#   pg_host_role NAME     a login role NAME in consentgate_host
#   fw_start NAME STORE   pg_host_role NAME, then consentctl follow for STORE
#                         logged in as NAME (never as a superuser), in the
#                         background (log $CG_TMP/follow-NAME.log)
#   fw_stop NAME          SIGTERM, bounded wait; fw_kill NAME: SIGKILL
#   fw_wait_id STORE ID SECONDS   until STORE's last applied id >= ID
#   store_csv STORE / pg_csv      the consent table as comparable CSV lines
# pg_cleanup (called by the EXIT trap) stops the followers and PostgreSQL.

PG_BIN=${PG_BIN:-}
PG_PORT=
PG_DIR=
PG_CONN=
PG_CONN_BASE=
FW_PIDS=

pg_find_bin() {
	[ -n "$PG_BIN" ] && return 0
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && PG_BIN=$d
	done
	[ -n "$PG_BIN" ] || cg_die "no PostgreSQL server (apt-get install postgresql; make deps)"
}

# pg_as_postgres CMD...: run as the postgres user (initdb refuses root).
pg_as_postgres() {
	runuser -u postgres -- "$@"
}

pg_sql() {
	timeout 300 psql -X -q -v ON_ERROR_STOP=1 -At -h 127.0.0.1 -p "$PG_PORT" \
		-U postgres -d consent -c "$1"
}

pg_sql_as() {
	timeout 300 psql -X -q -v ON_ERROR_STOP=1 -At -h 127.0.0.1 -p "$PG_PORT" \
		-U "$1" -d consent -c "$2"
}

pg_host_role() {
	pg_sql "DO \$\$ BEGIN
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$1') THEN
			CREATE ROLE \"$1\" LOGIN IN ROLE consentgate_host;
		END IF; END \$\$"
}

pg_start() {
	pg_as_postgres timeout 60 "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
		-o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=on" \
		start >/dev/null
}

pg_stop() {
	pg_as_postgres timeout 60 "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
}

pg_setup() {
	pg_find_bin
	id postgres >/dev/null 2>&1 || cg_die "user postgres does not exist (install postgresql)"
	cg_need psql runuser
	PG_PORT=$(cg_free_ports 1)
	PG_DIR=$CG_TMP/pg
	mkdir -p "$PG_DIR" && chown postgres "$PG_DIR" || return 1
	pg_as_postgres timeout 120 "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres \
		-E UTF8 --locale=C.UTF-8 \
		>"$PG_DIR/initdb.log" 2>&1 || { cg_diag "$PG_DIR/initdb.log"; return 1; }
	pg_start || { cg_diag "$PG_DIR/log"; return 1; }
	timeout 30 psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
		-c "CREATE DATABASE consent" || return 1
	timeout 60 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres \
		-d consent -f "${PG_SCHEMA:-$CG_HERE/../../contrib/postgresql/schema.sql}" \
		>"$PG_DIR/schema.log" 2>&1 || { cg_diag "$PG_DIR/schema.log"; return 1; }
	timeout 60 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres \
		-d consent -f "$(dirname "${PG_SCHEMA:-$CG_HERE/../../contrib/postgresql/schema.sql}")/roles.sql" \
		>>"$PG_DIR/schema.log" 2>&1 || { cg_diag "$PG_DIR/schema.log"; return 1; }
	pg_sql "CREATE ROLE crm LOGIN IN ROLE consentgate_writer;
		CREATE ROLE compliance LOGIN IN ROLE consentgate_admin" || return 1
	PG_CONN="host=127.0.0.1 port=$PG_PORT dbname=consent user=postgres connect_timeout=5"
	PG_CONN_BASE="host=127.0.0.1 port=$PG_PORT dbname=consent connect_timeout=5"
}

# fw_start NAME STORE [ARGS...]: start a follower; its pid goes to FW_PID_NAME.
fw_start() {
	fw_name=$1
	fw_store=$2
	shift 2
	pg_host_role "$fw_name" || cg_notok "cannot make host role $fw_name"
	"$CG_BUILD/consentctl" -d "$fw_store" follow --pg "$PG_CONN_BASE user=$fw_name" \
		"$@" >>"$CG_TMP/follow-$fw_name.log" 2>&1 &
	eval "FW_PID_$fw_name=$!"
	FW_PIDS="$FW_PIDS $!"
}

fw_pid() {
	eval "echo \$FW_PID_$1"
}

fw_stop() {
	cg_stop_pid "$(fw_pid "$1")" "follower $1"
}

fw_kill() {
	fw_p=$(fw_pid "$1")
	kill -KILL "$fw_p" 2>/dev/null
	wait "$fw_p" 2>/dev/null
	return 0
}

# fw_last STORE: the store's last applied id.
fw_last() {
	timeout 20 "$CG_BUILD/consentctl" -d "$1" status 2>/dev/null |
		sed -n 's/^last applied id: //p'
}

# fw_wait_id STORE ID SECONDS: bounded wait until the replica reached ID.
fw_wait_id() {
	fw_end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$fw_end" ]; do
		fw_l=$(fw_last "$1")
		[ -n "$fw_l" ] && [ "$fw_l" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# store_csv STORE: the store's export without header and CRs.
store_csv() {
	timeout 120 "$CG_BUILD/consentctl" -d "$1" export | tail -n +2 | tr -d '\r'
}

# pg_csv: the same lines made from the central table (no field of the test
# data holds a comma or a quote, so no CSV quoting is needed); lists as
# consentctl export writes them (lists in the record's state, lists
# withdrawn on their own; [] is the implicit list "default").
pg_csv() {
	pg_sql "
	CREATE OR REPLACE FUNCTION pg_temp.t(t timestamptz) RETURNS text
	LANGUAGE sql AS \$\$ SELECT coalesce(to_char(t AT TIME ZONE 'UTC',
		'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') \$\$;
	SELECT concat_ws(',', address, state, coalesce(uid, ''), ip,
		pg_temp.t(created), pg_temp.t(confirmed), pg_temp.t(withdrawn),
		source, CASE WHEN tracking THEN 'yes' ELSE 'no' END,
		pg_temp.t(doi_sent), doi_msgid,
		CASE WHEN jsonb_array_length(lists) = 0 THEN 'default' ELSE
		coalesce((SELECT string_agg(e->>'name', ';' ORDER BY o)
			FROM jsonb_array_elements(lists) WITH ORDINALITY x(e, o)
			WHERE state = 'withdrawn' OR e->>'state' = state), '') END,
		coalesce((SELECT string_agg(e->>'name', ';' ORDER BY o)
			FROM jsonb_array_elements(lists) WITH ORDINALITY x(e, o)
			WHERE state <> 'withdrawn' AND e->>'state' = 'withdrawn'), ''))
	FROM consent ORDER BY address COLLATE \"C\""
}

pg_cleanup() {
	for fw_p in $FW_PIDS; do
		cg_stop_pid "$fw_p" follower
	done
	FW_PIDS=
	if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
		pg_stop 2>/dev/null
	fi
}

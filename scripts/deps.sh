#!/bin/sh
# deps.sh [demo] - install every build and test dependency of consentgate on
# Debian 12, without prompts (make deps, make check).  With "demo", only
# what `make demo` uses: the build dependencies, Postfix, swaks and python3
# (no PostgreSQL, clang, valgrind, debhelper...), so that the demo can be
# seen on a mail host without the test tool chain.  Idempotent: packages
# already present are not touched, and apt-get runs only when something is
# missing.
set -eu

DEMO_PKGS="build-essential pkg-config
libmilter-dev libgmime-3.0-dev liblmdb-dev libspf2-dev libpcre2-dev
libgumbo-dev libidn2-dev libjson-glib-dev postfix swaks python3 ca-certificates"

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libmilter-dev libgmime-3.0-dev liblmdb-dev lmdb-utils libspf2-dev libpcre2-dev
libgumbo-dev libidn2-dev libjson-glib-dev libcmocka-dev postfix miltertest swaks opendkim opendkim-tools
python3 ca-certificates man-db groff-base bc valgrind m4
libpq-dev postgresql
debhelper lintian dpkg-dev fakeroot"

[ "${1:-}" = demo ] && PKGS=$DEMO_PKGS

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
# Postfix must not ask questions and must not configure a system mailer.
printf '%s\n' \
	"postfix postfix/main_mailer_type select No configuration" \
	"postfix postfix/mailname string localhost" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing

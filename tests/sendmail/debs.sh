#!/bin/sh
# Fetches the Debian packages the Sendmail suite unpacks (not installs: sendmail-bin conflicts with
# postfix) into a cache directory, once: later runs find them there.
#   usage: sh tests/sendmail/debs.sh CACHE_DIR      (make deps; tests/sendmail/run.sh on first use)
# Prints the packages' file names, one a line, on stdout; exits 69 when apt-get cannot fetch them.
set -u
[ $# -eq 1 ] || { echo "usage: sh $0 CACHE_DIR" >&2; exit 64; }
CACHE=$1
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")

# sendmail-bin: the daemon and its helpfile; sendmail-cf: the m4 files that build sendmail.cf; m4;
# libwrap0: libwrap.so.0, which sendmail-bin links; sasl2-bin: saslpasswd2, for SMTP AUTH. The SASL
# plugins PLAIN and sasldb come from the host when it has them (Postfix recommends them).
PKGS="sendmail-bin sendmail-cf m4 libwrap0 sasl2-bin"
[ -e "/usr/lib/$MA/sasl2/libplain.so" ] || PKGS="$PKGS libsasl2-modules"
[ -e "/usr/lib/$MA/sasl2/libsasldb.so" ] || PKGS="$PKGS libsasl2-modules-db"

mkdir -p "$CACHE" || exit 73
missing=""
for p in $PKGS; do
	ls "$CACHE/${p}"_*.deb >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "Downloading into $CACHE:$missing" >&2
	# APT::Sandbox::User=root: the cache directory need not be writable by _apt
	# shellcheck disable=SC2086 # a list of package names
	if ! (cd "$CACHE" && apt-get -q -o APT::Sandbox::User=root download $missing >download.log 2>&1); then
		apt-get -q update >/dev/null 2>&1
		# shellcheck disable=SC2086
		(cd "$CACHE" && apt-get -q -o APT::Sandbox::User=root download $missing >download.log 2>&1) || {
			echo "apt-get download$missing failed:" >&2
			tail -n 3 "$CACHE/download.log" >&2
			exit 69
		}
	fi
fi
# the newest of each, should the cache hold several versions
for p in $PKGS; do
	# shellcheck disable=SC2012 # Debian file names have no blanks
	ls "$CACHE/${p}"_*.deb | sort -V | tail -n 1
done

#!/bin/sh
# Installs the Debian packages named as arguments that are missing (as root), or says how to.
set -u
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "Missing Debian packages:$missing" >&2
	echo "Install them as root with:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "Installing missing Debian packages:$missing"
# Postfix asks questions on install unless preseeded.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q $missing >/dev/null 2>&1 || {
	apt-get update -q >/dev/null 2>&1
	apt-get install -y -q $missing
} || { echo "apt-get install failed for:$missing" >&2; exit 1; }

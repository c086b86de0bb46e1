#!/usr/bin/perl
# A UDP relay that holds every DNS question for a while before passing it on and relays the answer
# back: the fleet test puts it between unbound and NSD so that a burst of identical questions all
# arrive while the first one is still in flight (on bare loopback NSD answers before the second).
#   usage: perl relay.pl LISTEN_PORT UPSTREAM_PORT DELAY_SECONDS      (127.0.0.1 only)
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(sleep);

my ($listen, $upstream, $delay) = @ARGV;
die "usage: perl relay.pl LISTEN_PORT UPSTREAM_PORT DELAY_SECONDS\n" unless defined $delay;
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$listen", Proto => 'udp')
	or die "relay: bind 127.0.0.1:$listen: $!\n";
$SIG{CHLD} = 'IGNORE';  # children reaped by the kernel
$| = 1;
print "relay: listening on $listen\n";
for (;;) {
	my $from = $s->recv(my $q, 65535);
	next unless defined $from && length $q;
	my $pid = fork;
	next if !defined $pid || $pid;
	# the child: one question, one answer (or none within 5 s)
	sleep $delay;
	my $u = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$upstream", Proto => 'udp') or exit 1;
	$u->send($q);
	if (IO::Select->new($u)->can_read(5)) {
		$u->recv(my $r, 65535);
		$s->send($r, 0, $from);
	}
	exit 0;
}

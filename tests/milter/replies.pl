#!/usr/bin/perl
# The milter's reply to each SMTP step, text included: miltertest only shows the reply's kind
# ('y' for a reply code), so this small MTA stand-in reads what an MTA would send to the client.
#   usage: perl replies.pl SOCKET_PATH CLIENT_IP [AUTH_USER]
# Offers no protocol options, so the milter sees every step (connect, helo, mail, rcpt) and must
# answer each. Prints one line per step, "STEP KIND[ TEXT]" (KIND: c continue, y reply code,
# r reject, t tempfail, a accept, ...), and stops after the first reply that is not 'c'.
# TEXT is what the SMTP client would see: on the wire a reply's '%' is doubled (Sendmail reads it
# as a format), and an MTA turns "%%" back into '%' and drops a lone '%' (Postfix's milter8.c).
# CLIENT_IP goes into the connect step as given (family '6' when it has a ':', else '4'), so a
# malformed one (999.1.1.1) shows what the milter does when libmilter drops the connection.
# With REPLIES_MS=1 in the environment, each step's line also goes to standard error as
# "STEP MS", MS the milliseconds from the socket's connect to that reply (for time bounds).
# Exits 0 when it could talk to the milter, 2 on a protocol or socket error.
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time);

my ($path, $ip, $auth) = @ARGV;
die "usage: perl replies.pl SOCKET_PATH CLIENT_IP [AUTH_USER]\n" unless defined $ip;
$SIG{ALRM} = sub { print STDERR "replies.pl: no answer within 10 s\n"; exit 2 };
alarm 10;

my $t0 = time;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path)
	or do { print STDERR "replies.pl: $path: $!\n"; exit 2 };

sub put {
	my ($cmd, $data) = @_;
	print $s pack('N', length($data) + 1) . $cmd . $data or die "write: $!\n";
}

sub get {
	my $hdr = '';
	while (length($hdr) < 4) {
		my $n = sysread($s, $hdr, 4 - length($hdr), length($hdr));
		die "connection closed\n" unless $n;
	}
	my $len = unpack('N', $hdr);
	my $body = '';
	while (length($body) < $len) {
		my $n = sysread($s, $body, $len - length($body), length($body));
		die "connection closed\n" unless $n;
	}
	my $kind = substr($body, 0, 1);
	my $data = substr($body, 1);
	$data =~ s/\0+$//;
	$data =~ s/%(.?)/$1/gs if $kind eq 'y';
	return ($kind, $data);
}

# step NAME CMD DATA: sends one step, prints the reply; false when the session is over.
sub step {
	my ($name, $cmd, $data) = @_;
	put($cmd, $data);
	my ($kind, $text) = get();
	print "$name $kind" . (length($text) ? " $text" : '') . "\n";
	printf STDERR "%s %d\n", $name, (time - $t0) * 1000 if $ENV{REPLIES_MS};
	return $kind eq 'c';
}

eval {
	put('O', pack('NNN', 6, 0x1ff, 0));
	my ($kind) = get();
	die "option negotiation answered '$kind'\n" unless $kind eq 'O';
	my $family = $ip =~ /:/ ? '6' : '4';
	step('connect', 'C', "client.test.example\0$family" . pack('n', 25) . "$ip\0")
	  and step('helo', 'H', "client.test.example\0")
	  and do {
		my $macros = "i\0QREPLIES\0" . (defined $auth ? "{auth_authen}\0$auth\0" : '');
		put('D', "M$macros");
		step('mail', 'M', "<sender\@test.example>\0");
	  }
	  and step('rcpt', 'R', "<rcpt\@test.example>\0");
	put('Q', '');
	1;
} or do {
	print STDERR "replies.pl: $@";
	exit 2;
};
exit 0;

#!/usr/bin/perl
# Scores three generic-name detectors on the labelled set: the project's rules (the output of
# generic-judge), SpamAssassin's RDNS_DYNAMIC and rspamd's hfilter host-name regexes, each read from
# the installed rule files and applied as the filter itself applies them.
#   usage: perl compare.pl JUDGE-OUTPUT 20_dynrdns.cf hfilter.lua
use strict;
use warnings;

my ($judged, $sa_cf, $hfilter) = @ARGV;
die "usage: compare.pl JUDGE-OUTPUT 20_dynrdns.cf hfilter.lua\n" unless defined $hfilter;

# SpamAssassin: the header rules and the RDNS_DYNAMIC meta of 20_dynrdns.cf. The rules test the
# pseudo-header X-Spam-Relays-External, whose first relay SpamAssassin writes as
# "[ ip=IP rdns=NAME helo=HELO by=BY ident= envfrom= intl=0 id=ID auth= msa=0 ]"
# (Mail::SpamAssassin::Message::Metadata::Received, make_relay_as_string). Rules on other headers
# (Received) see a message from a plain MTA that matches none of them.
my (%sa_re, $sa_meta);
open(my $cf, '<', $sa_cf) or die "compare.pl: $sa_cf: $!\n";
while (<$cf>) {
	if (/^header\s+(\S+)\s+(\S+)\s+=~\s+\/(.*)\/([a-z]*)\s*$/) {
		my ($rule, $hdr, $re, $fl) = ($1, $2, $3, $4);
		$sa_re{$rule} = $hdr =~ /^X-Spam-Relays-(External|Untrusted)$/ ? qr/(?$fl)$re/ : undef;
	} elsif (/^meta\s+RDNS_DYNAMIC\s+(.*?)\s*$/) {
		$sa_meta = $1;
	}
}
close($cf);
die "compare.pl: no RDNS_DYNAMIC meta in $sa_cf\n" unless defined $sa_meta;

sub sa_dynamic {
	my ($name, $ip) = @_;
	my $relay = "[ ip=$ip rdns=$name helo=$name by=mx.example.net ident= envfrom= intl=0 "
	          . "id=4XyZ1234 auth= msa=0 ]";
	(my $expr = $sa_meta) =~ s/\b(__\w+|[A-Z]\w+)\b/
		(defined $sa_re{$1} && $relay =~ $sa_re{$1}) ? 1 : 0/ge;
	die "compare.pl: cannot evaluate RDNS_DYNAMIC: $expr\n" if $expr =~ /[^01()!&|\s]/;
	return eval($expr) ? 1 : 0;
}

# rspamd: hfilter.lua's checks_hellohost list ("/re/flags weight" a line), a regexp_multi map that
# the HOSTNAME check looks the client's host name up in; any match adds HFILTER_HOSTNAME_<weight>.
my @rs_re;
open(my $lua, '<', $hfilter) or die "compare.pl: $hfilter: $!\n";
my $in = 0;
while (<$lua>) {
	if (/^local checks_hellohost = \[\[/) { $in = 1; next; }
	last if $in && /^\]\]/;
	push @rs_re, qr/(?$2)$1/ if $in && m{^/(.*)/([a-z]*)\s+\d+};
}
close($lua);
die "compare.pl: no checks_hellohost in $hfilter\n" unless @rs_re;

sub rspamd_dynamic {
	my ($name) = @_;
	for my $re (@rs_re) { return 1 if $name =~ $re; }
	return 0;
}

my (%right, %total, %fp, @fp_list);
my @who = ('fcrdns-milter', 'SpamAssassin RDNS_DYNAMIC', 'rspamd hfilter');
open(my $j, '<', $judged) or die "compare.pl: $judged: $!\n";
while (<$j>) {
	chomp;
	my ($name, $ip, $want, $kind, $ours) = split /\t/;
	my %says = ($who[0] => $ours eq 'yes' ? 1 : 0, $who[1] => sa_dynamic($name, $ip),
	            $who[2] => rspamd_dynamic($name));
	my $w = $want eq 'yes' ? 1 : 0;
	for my $d (@who) {
		$total{$d}{$kind}++;
		$total{$d}{all}++;
		if ($says{$d} == $w) {
			$right{$d}{$kind}++;
			$right{$d}{all}++;
		} elsif (!$w && ($kind eq 'esp' || $kind eq 'server')) {
			$fp{$d}++;
			push @fp_list, "$d: $name";
		}
	}
}
close($j);

my @kinds = sort grep { $_ ne 'all' } keys %{ $total{ $who[0] } };
printf "%-27s %8s %6s  %s\n", 'generic names', 'right', '%', join(' ', map { sprintf '%7s', $_ } @kinds);
for my $d (@who) {
	my $r = $right{$d}{all} // 0;
	my $t = $total{$d}{all};
	printf "%-27s %4d/%-4d %5.1f%%  %s   false positives on esp/server: %d\n", $d, $r, $t, 100 * $r / $t,
	       join(' ', map { sprintf '%3d/%-3d', $right{$d}{$_} // 0, $total{$d}{$_} } @kinds),
	       $fp{$d} // 0;
}
print "  false positive, $_\n" for @fp_list;

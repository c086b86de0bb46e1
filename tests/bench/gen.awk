# Zones for the real-DNS benchmark: N client addresses (blocks of 20; every fourth block IPv6), each
# with a PTR name, into DIR: bench.example.zone, rev4.zone (10.127.in-addr.arpa.), rev6.zone
# (c.f.0.0.8.b.d.0.1.0.0.2.ip6.arpa. = 2001:db8:fc::/48), addrs (one a line) and expected
# ("address result queries"). Per block of 20: 16 plain passes (PTR, then A/AAAA: 2 queries), 2 passes
# with two PTR names of which one does not match (3 queries), 1 fail (the name's address is another
# one: 2 queries), 1 permerror (no PTR: 1 query).
#   usage: awk -v N=2000 -v DIR=/tmp/x -f gen.awk
function soa(zone, file) {
	printf "$TTL 3600\n%s 3600 IN SOA ns.bench.example. hostmaster.bench.example. 1 3600 600 86400 3600\n", zone >file
	printf "%s 3600 IN NS ns.bench.example.\n", zone >file
}
# reverse name of 2001:db8:fc::<k>
function rev6(k,    hex, s, i) {
	hex = sprintf("20010db800fc000000000000000%05x", k)
	s = ""
	for (i = 32; i >= 1; i--)
		s = s substr(hex, i, 1) "."
	return s "ip6.arpa."
}
BEGIN {
	fz = DIR "/bench.example.zone"; r4 = DIR "/rev4.zone"; r6 = DIR "/rev6.zone"
	soa("bench.example.", fz)
	print "ns.bench.example. 3600 IN A 127.0.0.1" >fz
	soa("10.127.in-addr.arpa.", r4)
	soa("c.f.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", r6)
	n4 = 0; n6 = 0
	for (i = 0; i < N; i++) {
		v6 = int(i / 20) % 4 == 3
		if (v6) {
			n6++
			addr = sprintf("2001:db8:fc::%x", n6); rev = rev6(n6); rz = r6
			type = "AAAA"; other = "2001:db8:fc:ffff::1"
		} else {
			addr = sprintf("127.10.%d.%d", int(n4 / 250), n4 % 250 + 1)
			split(addr, o, ".")
			rev = o[4] "." o[3] "." o[2] "." o[1] ".in-addr.arpa."
			n4++; rz = r4
			type = "A"; other = "127.99.0.1"
		}
		name = "h" i ".bench.example."
		k = i % 20
		print addr >(DIR "/addrs")
		if (k == 19) {
			print addr, "permerror", 1 >(DIR "/expected")
			continue
		}
		printf "%s 3600 IN PTR %s\n", rev, name >rz
		if (k == 9) {
			printf "%s 3600 IN %s %s\n", name, type, other >fz
			print addr, "fail", 2 >(DIR "/expected")
			continue
		}
		printf "%s 3600 IN %s %s\n", name, type, addr >fz
		if (k == 3 || k == 13) {
			printf "%s 3600 IN PTR x%d.bench.example.\n", rev, i >rz
			printf "x%d.bench.example. 3600 IN %s %s\n", i, type, other >fz
			print addr, "pass", 3 >(DIR "/expected")
		} else {
			print addr, "pass", 2 >(DIR "/expected")
		}
	}
}

package api

import "testing"

// TestProxiesTrusts: a trusted proxy is an address or a CIDR, as gin reads
// --trusted-proxies; IPv4-mapped IPv6 peers are their IPv4 address.
func TestProxiesTrusts(t *testing.T) {
	ps, err := parseProxies([]string{"10.0.0.5", "192.168.1.0/24", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		remote string
		want   bool
	}{
		{"10.0.0.5:443", true}, {"10.0.0.6:443", false}, {"[::ffff:10.0.0.5]:1", true},
		{"192.168.1.77:8080", true}, {"192.168.2.1:8080", false},
		{"[fd12::1]:80", true}, {"[fe80::1]:80", false},
		{"10.0.0.5", false}, {"", false}, {"host.example:80", false},
	} {
		if got := ps.trusts(c.remote); got != c.want {
			t.Errorf("trusts(%q) = %v, want %v", c.remote, got, c.want)
		}
	}
	for _, bad := range []string{"10.0.0", "10.0.0.0/33", "example.com"} {
		if _, err := parseProxies([]string{bad}); err == nil {
			t.Errorf("parseProxies(%q) = nil error", bad)
		}
	}
}

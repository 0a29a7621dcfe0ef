package api

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// proxies are the trusted reverse proxies ([Config.TrustedProxies]), read
// as gin reads them: an address alone is that one address.
type proxies []netip.Prefix

func parseProxies(list []string) (proxies, error) {
	var ps proxies
	for _, s := range list {
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("api: trusted proxy %q: %w", s, err)
			}
			ps = append(ps, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("api: trusted proxy %q: %w", s, err)
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

// trusts reports whether the peer at remoteAddr ("host:port") is one of ps.
func (ps proxies) trusts(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Secure reports whether the client reached the server over HTTPS: the
// server terminated TLS itself, or the request comes straight from a
// trusted proxy ([Config.TrustedProxies]) that says so with exactly one
// "X-Forwarded-Proto: https". The header is ignored from anyone else, as
// X-Forwarded-For is, since a client may send anything.
func (s *Server) Secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	fp := r.Header.Values("X-Forwarded-Proto")
	return len(fp) == 1 && strings.EqualFold(strings.TrimSpace(fp[0]), "https") && s.proxies.trusts(r.RemoteAddr)
}

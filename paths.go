package signet

import (
	"net/url"
	"strings"

	"github.com/signet-ledger/signet/registry"
)

// The URL path of each kind of signed request. A signed record's
// protected url, parsed as a URL (RFC 3986) and its path percent-decoded,
// must be exactly its kind's path (rule R9): the scheme, host, query and
// fragment are not compared, so a server's public address may differ
// from its internal one.
//
//	entry               /v1/entries   (also each entry of /v1/entries:batch)
//	signer.registered   /v1/signers
//	signer.key_added    /v1/signers/{signer}/keys
//	signer.key_revoked  /v1/signers/{signer}/keys/{kid}/revoke
//
// {signer} is a signer id and {kid} a key id; neither may contain '/'.
const (
	EntriesPath = "/v1/entries"
	SignersPath = "/v1/signers"
)

// KeysPath is the URL path of a key change for signer.
func KeysPath(signer string) string { return SignersPath + "/" + signer + "/keys" }

// RevokePath is the URL path of the revocation of signer's key kid.
func RevokePath(signer, kid string) string { return KeysPath(signer) + "/" + kid + "/revoke" }

// URLPath returns the percent-decoded path of u, or false if u is not a
// URL.
func URLPath(u string) (string, bool) {
	p, err := url.Parse(u)
	if err != nil {
		return "", false
	}
	return p.Path, true
}

// parseKeysPath returns the signer of a key-change path.
func parseKeysPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, SignersPath+"/")
	if !ok {
		return "", false
	}
	signer, ok := strings.CutSuffix(rest, "/keys")
	return signer, ok && registry.CheckSignerID(signer) == nil
}

// parseRevokePath returns the signer and kid of a revocation path.
func parseRevokePath(p string) (signer, kid string, ok bool) {
	rest, ok := strings.CutSuffix(p, "/revoke")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", "", false
	}
	signer, ok = parseKeysPath(rest[:i])
	kid = rest[i+1:]
	return signer, kid, ok && kid != ""
}

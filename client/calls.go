package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/signet-ledger/signet/keys"
)

// Register registers signer with key (admin only). extra, if not nil, adds
// descriptive members to the signed payload.
func (c *Client) Register(ctx context.Context, signer string, key keys.PrivateKey, extra map[string]any) (*KeyEvent, error) {
	p := map[string]any{}
	for k, v := range extra {
		p[k] = v
	}
	p["signer"] = signer
	payload, _ := json.Marshal(p)
	r, err := c.PostSigned(ctx, Signer{Key: key, EmbedJWK: true}, "/v1/signers", payload, true)
	if err != nil {
		return nil, err
	}
	var ev KeyEvent
	return &ev, r.decode(&ev)
}

// Submit appends payload (a JSON object) signed by key.
func (c *Client) Submit(ctx context.Context, key keys.PrivateKey, payload []byte) (*Appended, error) {
	r, err := c.PostSigned(ctx, Signer{Key: key}, "/v1/entries", payload, false)
	if err != nil {
		return nil, err
	}
	return decodeAppended(r)
}

// SubmitJWS posts an already signed JWS (flattened JSON) to /v1/entries.
func (c *Client) SubmitJWS(ctx context.Context, jws []byte) (*Appended, error) {
	r, err := c.Do(ctx, http.MethodPost, "/v1/entries", "application/jose+json", jws, nil)
	if err != nil {
		return nil, err
	}
	return decodeAppended(r)
}

func decodeAppended(r *Response) (*Appended, error) {
	var a Appended
	if err := r.decode(&a); err != nil {
		return nil, err
	}
	a.Existing, a.Location = r.Status == http.StatusOK, r.Header.Get("Location")
	return &a, nil
}

// AddKey adds newKey to signer, authorised by the signer's active oldKey
// (an ACME-style key change: the inner JWS is signed by newKey).
func (c *Client) AddKey(ctx context.Context, signer string, oldKey, newKey keys.PrivateKey) (*KeyEvent, error) {
	path := "/v1/signers/" + signer + "/keys"
	inner, err := c.InnerKeyChange(signer, path, oldKey.Public().Thumbprint(), newKey)
	if err != nil {
		return nil, err
	}
	r, err := c.PostSigned(ctx, Signer{Key: oldKey}, path, inner, false)
	if err != nil {
		return nil, err
	}
	var ev KeyEvent
	return &ev, r.decode(&ev)
}

// InnerKeyChange returns the inner JWS of a key change, flattened.
func (c *Client) InnerKeyChange(signer, path, oldKID string, newKey keys.PrivateKey) ([]byte, error) {
	payload, _ := json.Marshal(map[string]string{"signer": signer, "old_kid": oldKID})
	j, err := c.Sign(Signer{Key: newKey, EmbedJWK: true}, path, "", payload)
	if err != nil {
		return nil, err
	}
	return j.Flattened(), nil
}

// Revoke revokes signer's key kid, signed by key (an active key of signer).
func (c *Client) Revoke(ctx context.Context, signer, kid string, key keys.PrivateKey, req RevokeRequest) (*KeyEvent, error) {
	payload, _ := json.Marshal(req)
	r, err := c.PostSigned(ctx, Signer{Key: key}, RevokePath(signer, kid), payload, false)
	if err != nil {
		return nil, err
	}
	var ev KeyEvent
	return &ev, r.decode(&ev)
}

// RevokeAsOperator revokes signer's key kid with the admin token.
func (c *Client) RevokeAsOperator(ctx context.Context, signer, kid string, req RevokeRequest) (*KeyEvent, error) {
	body, _ := json.Marshal(req)
	r, err := c.Do(ctx, http.MethodPost, RevokePath(signer, kid), "application/json", body,
		http.Header{"Authorization": {"Bearer " + c.admin}})
	if err != nil {
		return nil, err
	}
	var ev KeyEvent
	return &ev, r.decode(&ev)
}

// RevokePath is the path of the revocation of signer's key kid.
func RevokePath(signer, kid string) string {
	return "/v1/signers/" + url.PathEscape(signer) + "/keys/" + url.PathEscape(kid) + "/revoke"
}

// Entry returns record i with its JWS.
func (c *Client) Entry(ctx context.Context, i int64) (*Record, error) {
	var r Record
	return &r, c.get(ctx, fmt.Sprintf("/v1/entries/%d", i), &r)
}

// Entries returns one page of records.
func (c *Client) Entries(ctx context.Context, q Query) (*Page, error) {
	v := url.Values{}
	if q.Signer != "" {
		v.Set("signer", q.Signer)
	}
	if q.Kind != "" {
		v.Set("kind", q.Kind)
	}
	if q.Match != "" {
		v.Set("match", q.Match)
	}
	if q.After != "" {
		v.Set("after", q.After)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var p Page
	return &p, c.get(ctx, "/v1/entries?"+v.Encode(), &p)
}

// Verify asks the server to verify record i.
func (c *Client) Verify(ctx context.Context, i int64) (*Verification, error) {
	var v Verification
	return &v, c.get(ctx, fmt.Sprintf("/v1/entries/%d/verify", i), &v)
}

// Signer returns a signer and its keys.
func (c *Client) Signer(ctx context.Context, id string) (*SignerInfo, error) {
	var s SignerInfo
	return &s, c.get(ctx, "/v1/signers/"+url.PathEscape(id), &s)
}

// SignersPage returns one page of the signer directory: the signers whose
// ids sort after after ("" for the first), at most limit (0: the server's
// default) of them.
func (c *Client) SignersPage(ctx context.Context, after string, limit int) (*SignerPage, error) {
	v := url.Values{}
	if after != "" {
		v.Set("after", after)
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var p SignerPage
	return &p, c.get(ctx, "/v1/signers?"+v.Encode(), &p)
}

// Checkpoint returns the latest signed checkpoint, unverified.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.text(ctx, "/v1/checkpoint")
}

// WitnessedCheckpoint returns the newest checkpoint whose cosignatures
// meet the server's witness policy, unverified (GET
// /v1/checkpoint?witnessed=1). A server without a policy, or with no
// checkpoint meeting it yet, answers a notFound [*Problem].
func (c *Client) WitnessedCheckpoint(ctx context.Context) ([]byte, error) {
	return c.text(ctx, "/v1/checkpoint?witnessed=1")
}

// LogKey returns the log's verifier key as the server states it.
func (c *Client) LogKey(ctx context.Context) (string, error) {
	b, err := c.text(ctx, "/v1/log/key")
	return strings.TrimSpace(string(b)), err
}

func (c *Client) text(ctx context.Context, path string) ([]byte, error) {
	r, err := c.Do(ctx, http.MethodGet, path, "", nil, c.readHeader())
	if err != nil {
		return nil, err
	}
	return r.Body, r.check()
}

// InclusionProof proves record index in the tree of treeSize records (0:
// the latest checkpoint).
func (c *Client) InclusionProof(ctx context.Context, index, treeSize int64) (*InclusionProof, error) {
	var p InclusionProof
	return &p, c.get(ctx, fmt.Sprintf("/v1/proof/inclusion?index=%d&tree_size=%d", index, treeSize), &p)
}

// ConsistencyProof proves the tree of from records a prefix of to's (0:
// the latest checkpoint).
func (c *Client) ConsistencyProof(ctx context.Context, from, to int64) (*ConsistencyProof, error) {
	var p ConsistencyProof
	return &p, c.get(ctx, fmt.Sprintf("/v1/proof/consistency?from=%d&to=%d", from, to), &p)
}

// SignEntry signs payload for /v1/entries with a fresh nonce, without
// sending it: for batches, and for tools that pre-sign.
func (c *Client) SignEntry(ctx context.Context, key keys.PrivateKey, payload []byte) (*keys.JWS, error) {
	nonce, err := c.Nonce(ctx)
	if err != nil {
		return nil, err
	}
	return c.Sign(Signer{Key: key}, "/v1/entries", nonce, payload)
}

// BatchResult is one entry's answer in a batch: Entry on success (Status
// 201, or 200 for a resubmission), Problem otherwise.
type BatchResult struct {
	Status  int       `json:"status"`
	Entry   *Appended `json:"entry"`
	Problem *Problem  `json:"problem"`
}

// SubmitBatch posts up to 1000 signed entries (each a flattened JWS signed
// for /v1/entries) to /v1/entries:batch; results are in input order.
func (c *Client) SubmitBatch(ctx context.Context, entries [][]byte) ([]BatchResult, error) {
	raw := make([]json.RawMessage, len(entries))
	for i, e := range entries {
		raw[i] = e
	}
	body, _ := json.Marshal(map[string]any{"entries": raw})
	r, err := c.Do(ctx, http.MethodPost, "/v1/entries:batch", "application/json", body, nil)
	if err != nil {
		return nil, err
	}
	var out struct {
		Results []BatchResult `json:"results"`
	}
	return out.Results, r.decode(&out)
}

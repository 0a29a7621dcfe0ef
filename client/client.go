// Package client is a Go client for a Signet server. It signs requests
// the way the server wants them (ACME-style JWS with nonce and url), keeps
// a supply of nonces from Replay-Nonce headers, retries once on badNonce,
// and turns problem+json answers into [*Problem] errors.
//
// Every call takes a context. A Client is safe for concurrent use.
package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/signet-ledger/signet/internal/strictjson"
	"github.com/signet-ledger/signet/keys"
)

// Client talks to one Signet server.
type Client struct {
	base    string
	http    *http.Client
	admin   string
	token   string
	resends int

	mu     sync.Mutex
	nonces []string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the http.Client used for every request.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithAdminToken sets the bearer token sent to admin endpoints.
func WithAdminToken(tok string) Option { return func(c *Client) { c.admin = tok } }

// WithResendOn503 makes signed POSTs answered 503 be sent again, the same
// JWS, up to n times (see [Client.PostSigned]). Default 0.
func WithResendOn503(n int) Option { return func(c *Client) { c.resends = n } }

// WithToken sets the reader bearer token sent with reads. Without one,
// reads carry the admin token if there is one.
func WithToken(tok string) Option { return func(c *Client) { c.token = tok } }

// readHeader is the Authorization header of a read, if the client has a token.
func (c *Client) readHeader() http.Header {
	tok := c.token
	if tok == "" {
		tok = c.admin
	}
	if tok == "" {
		return nil
	}
	return http.Header{"Authorization": {"Bearer " + tok}}
}

// New returns a client of the server at base, e.g. "http://127.0.0.1:8080".
func New(base string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(base, "/"), http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Problem is an RFC 9457 problem the server answered with.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// RetryAfter is the Retry-After header, if any.
	RetryAfter string `json:"-"`
}

// Error returns the problem's name and detail.
func (p *Problem) Error() string {
	return fmt.Sprintf("signet: %s (%d): %s", p.Name(), p.Status, p.Detail)
}

// Name is the problem type without its "urn:signet:error:" prefix.
func (p *Problem) Name() string { return strings.TrimPrefix(p.Type, "urn:signet:error:") }

// IsProblem reports whether err is a [*Problem] named name (e.g. "badNonce").
func IsProblem(err error, name string) bool {
	var p *Problem
	return errors.As(err, &p) && p.Name() == name
}

// Response is a raw answer: status, headers and body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request and returns the raw answer, remembering any
// Replay-Nonce. It is the building block of every other call, exported so
// tests and tools can send requests the typed calls would refuse to build.
func (c *Client) Do(ctx context.Context, method, path, contentType string, body []byte, hdr http.Header) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("signet: %w", err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("signet: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("signet: reading the answer: %w", err)
	}
	if n := resp.Header.Get("Replay-Nonce"); n != "" {
		c.mu.Lock()
		c.nonces = append(c.nonces, n)
		c.mu.Unlock()
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// check returns the answer's problem as an error if its status is not 2xx.
func (r *Response) check() error {
	if r.Status >= 200 && r.Status < 300 {
		return nil
	}
	p := &Problem{Status: r.Status, RetryAfter: r.Header.Get("Retry-After")}
	if strictjson.UnmarshalIgnoreUnknown(r.Body, p) != nil || p.Type == "" {
		p.Type, p.Detail = "urn:signet:error:http", strings.TrimSpace(string(r.Body))
	}
	return p
}

// decode checks r and decodes its JSON body into v, strictly
// ([strictjson.UnmarshalIgnoreUnknown]): member names match exactly, none
// twice, so an answer means the same to every reader; members a newer
// server adds are skipped.
func (r *Response) decode(v any) error {
	if err := r.check(); err != nil {
		return err
	}
	if err := strictjson.UnmarshalIgnoreUnknown(r.Body, v); err != nil {
		return fmt.Errorf("signet: decoding the answer: %w", err)
	}
	return nil
}

// get fetches path and decodes its JSON answer into v.
func (c *Client) get(ctx context.Context, path string, v any) error {
	r, err := c.Do(ctx, http.MethodGet, path, "", nil, c.readHeader())
	if err != nil {
		return err
	}
	return r.decode(v)
}

// Nonce returns a nonce: one saved from an earlier answer, or a fresh one
// from HEAD /v1/nonce.
func (c *Client) Nonce(ctx context.Context) (string, error) {
	c.mu.Lock()
	if n := len(c.nonces); n > 0 {
		v := c.nonces[n-1]
		c.nonces = c.nonces[:n-1]
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	r, err := c.Do(ctx, http.MethodHead, "/v1/nonce", "", nil, nil)
	if err != nil {
		return "", err
	}
	if err := r.check(); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.nonces)
	if n == 0 {
		return "", errors.New("signet: the server sent no Replay-Nonce")
	}
	v := c.nonces[n-1]
	c.nonces = c.nonces[:n-1]
	return v, nil
}

// Signer signs requests: a private key, named by kid or carried as jwk.
type Signer struct {
	Key keys.PrivateKey
	// EmbedJWK puts the public key in the header as jwk (registration)
	// instead of naming it by kid.
	EmbedJWK bool
}

// Sign builds the JWS of a request to path with payload, using nonce.
func (c *Client) Sign(s Signer, path, nonce string, payload []byte) (*keys.JWS, error) {
	h := keys.Header{Alg: "EdDSA", Nonce: nonce, URL: c.base + path}
	if s.EmbedJWK {
		pub := s.Key.Public()
		h.JWK = &pub
	} else {
		h.Kid = s.Key.Public().Thumbprint()
	}
	return s.Key.Sign(h, payload)
}

// PostSigned signs payload for path with a fresh nonce and POSTs it as
// flattened JSON; on badNonce it retries once with the nonce that answer
// carried. With [WithResendOn503], a 503 unavailable answer makes it
// resend the very same JWS after the Retry-After delay (at most 5 s): the
// append may have committed before the database failed, and the same JWS
// is then answered with the existing record instead of being appended
// twice. admin adds the admin bearer token.
func (c *Client) PostSigned(ctx context.Context, s Signer, path string, payload []byte, admin bool) (*Response, error) {
	var hdr http.Header
	if admin {
		hdr = http.Header{"Authorization": {"Bearer " + c.admin}}
	}
	var r *Response
	for try := 0; try < 2; try++ {
		nonce, err := c.Nonce(ctx)
		if err != nil {
			return nil, err
		}
		j, err := c.Sign(s, path, nonce, payload)
		if err != nil {
			return nil, err
		}
		if r, err = c.postSame(ctx, path, j.Flattened(), hdr); err != nil {
			return nil, err
		}
		if !IsProblem(r.check(), "badNonce") {
			break
		}
	}
	return r, nil
}

// postSame POSTs body, resending it unchanged while the server answers 503.
func (c *Client) postSame(ctx context.Context, path string, body []byte, hdr http.Header) (*Response, error) {
	for try := 0; ; try++ {
		r, err := c.Do(ctx, http.MethodPost, path, "application/jose+json", body, hdr)
		if err != nil || r.Status != http.StatusServiceUnavailable || try >= c.resends {
			return r, err
		}
		wait := time.Second
		if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil && n >= 0 && n <= 5 {
			wait = time.Duration(n) * time.Second
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return r, nil
		}
	}
}

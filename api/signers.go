package api

import (
	"github.com/gin-gonic/gin"
	"github.com/signet-ledger/signet/ledger"
	"github.com/signet-ledger/signet/registry"
)

// register registers a signer (admin only; the JWS carries the key in jwk).
func (s *Server) register(c *gin.Context) {
	req, err := s.signed(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.ledger.Register(c, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := newKeyEventView(a, registry.StatusActive)
	v.RegisteredAt = timeString(a.Record.IntegratedTime)
	s.created(c, a, v)
}

func (s *Server) getSigner(c *gin.Context) {
	sg, err := s.ledger.Signer(c, c.Param("signer"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(200, newSignerView(sg))
}

// listSigners pages through the signer directory: ?after=&limit=, in
// bytewise id order.
func (s *Server) listSigners(c *gin.Context) {
	after, limit, err := SignersPage(c.Request.URL.Query(), 100, ledger.MaxSignersPage)
	if err != nil {
		s.fail(c, err)
		return
	}
	sgs, err := s.ledger.Signers(c, after, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := struct {
		Signers []signerSummaryView `json:"signers"`
		Next    *string             `json:"next"`
	}{Signers: []signerSummaryView{}}
	for _, sg := range sgs {
		out.Signers = append(out.Signers, newSignerSummaryView(sg))
	}
	if len(sgs) == limit {
		out.Next = &sgs[len(sgs)-1].ID
	}
	c.JSON(200, out)
}

// addKey adds a key to a signer (ACME-style key change).
func (s *Server) addKey(c *gin.Context) {
	req, err := s.signed(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.ledger.AddKey(c, req, c.Param("signer"))
	if err != nil {
		s.fail(c, err)
		return
	}
	v := newKeyEventView(a, registry.StatusActive)
	v.AddedAt = timeString(a.Record.IntegratedTime)
	s.created(c, a, v)
}

// revoke revokes a key: a JWS by one of the signer's active keys, or the
// operator's plain JSON with the admin token.
func (s *Server) revoke(c *gin.Context) {
	signer, kid := c.Param("signer"), c.Param("kid")
	var a *ledger.Appended
	var err error
	if mediaType(c) == "application/json" {
		if !s.adminTokens.match(c) {
			s.fail(c, unauthorized("a revocation sent as application/json needs the admin bearer token; signers send a JWS"))
			return
		}
		var body []byte
		if body, err = s.body(c); err == nil {
			a, err = s.ledger.RevokeByOperator(c, signer, kid, body)
		}
	} else {
		var req ledger.Signed
		if req, err = s.signed(c); err == nil {
			a, err = s.ledger.Revoke(c, req, signer, kid)
		}
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	v := newKeyEventView(a, registry.StatusRevoked)
	v.RevokedAt = timeString(a.Record.IntegratedTime)
	s.created(c, a, v)
}

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/signet-ledger/signet/internal/signettest"
)

// abuseServer runs signetd's HTTP server, with short timeouts, in front of
// a real test log.
func abuseServer(t *testing.T) (addr string) {
	e := signettest.New(t, signettest.Options{})
	srv := newHTTPServer(e.Server.Config.Handler, timeouts{readHeader: 300 * time.Millisecond,
		read: 600 * time.Millisecond, write: 2 * time.Second, idle: time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// closedWithin reports whether the server closes conn within d.
func closedWithin(conn net.Conn, d time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	return err == nil // EOF: the server hung up; a timeout is an error
}

// TestHTTPAbuse: slow headers, slow bodies, oversized headers, endless
// bodies and odd ids end in a 4xx or a closed connection, never a 500 or a
// stuck goroutine.
func TestHTTPAbuse(t *testing.T) {
	addr := abuseServer(t)
	baseline := runtime.NumGoroutine()

	t.Run("SlowHeaders", func(t *testing.T) {
		conn, _ := net.Dial("tcp", addr)
		defer conn.Close()
		fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n") // and never finish
		if !closedWithin(conn, 3*time.Second) {
			t.Error("a client that never finishes its headers was not cut off")
		}
	})
	t.Run("SlowBody", func(t *testing.T) {
		conn, _ := net.Dial("tcp", addr)
		defer conn.Close()
		fmt.Fprint(conn, "POST /v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/jose+json\r\nContent-Length: 1000\r\n\r\n{")
		if !closedWithin(conn, 3*time.Second) {
			t.Error("a client that never finishes its body was not cut off")
		}
	})
	t.Run("OversizedHeaders", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
		req.Header.Set("X-Big", strings.Repeat("a", 200<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("200 KiB of headers = %d, want 431", resp.StatusCode)
		}
	})
	t.Run("EndlessBody", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			chunk := []byte(strings.Repeat("x", 64<<10))
			for i := 0; i < 1<<14; i++ { // up to 1 GiB, if nobody stops us
				if _, err := pw.Write(chunk); err != nil {
					return
				}
			}
			pw.Close()
		}()
		resp, err := http.Post("http://"+addr+"/v1/entries", "application/jose+json", pr)
		pr.CloseWithError(io.EOF)
		if err != nil {
			return // the server hung up on the endless body: fine
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("an endless body = %d, want 413", resp.StatusCode)
		}
	})
	t.Run("OddIds", func(t *testing.T) {
		for _, path := range []string{"/v1/signers/..%2F..%2Fetc%2Fpasswd", "/v1/signers/%00", "/v1/entries/..%2F1",
			"/v1/entries/1%2Fverify", "/v1/signers/" + strings.Repeat("a", 5000), "/v1/entries/99999999999999999999",
			"/v1/signers/alice/keys/..%2F..%2Fx/revoke"} {
			method := "GET"
			if strings.HasSuffix(path, "/revoke") {
				method = "POST"
			}
			req, _ := http.NewRequest(method, "http://"+addr+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("%s %s = %d, want a 4xx", method, path, resp.StatusCode)
			}
		}
	})
	// Every connection above is gone; so are the goroutines that served it.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline+5 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+5 {
		t.Errorf("%d goroutines after the abuse, %d before: something is stuck", n, baseline)
	}
}

// TestTLSMinimumVersion: with a certificate, signetd's server speaks TLS
// 1.2 or later and refuses older clients.
func TestTLSMinimumVersion(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), defaultTimeouts)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.ServeTLS(ln, cert, key)
	t.Cleanup(func() { srv.Close() })
	dial := func(max uint16) error {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true, MaxVersion: max})
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(tls.VersionTLS11); err == nil {
		t.Error("a TLS 1.1 client was accepted")
	}
	if err := dial(tls.VersionTLS12); err != nil {
		t.Errorf("a TLS 1.2 client was refused: %v", err)
	}
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	return certFile, keyFile
}

package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-ledger/signet/internal/secretfile"
	"github.com/signet-ledger/signet/ledger"
	"golang.org/x/mod/sumdb/note"
)

// secrets are the server's own keys, kept in files, never in the database.
type secrets struct {
	adminToken   string
	readerTokens []string
	signer       note.Signer
	verifier     note.Verifier
	verifierKey  string
	origin       string // the log key's name
}

func loadSecrets(c config, log *slog.Logger) (*secrets, error) {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, err
	}
	if st, err := os.Stat(c.DataDir); err == nil && st.Mode().Perm()&0o077 != 0 {
		log.Warn("the data folder can be listed by other users of this machine; run chmod 700 on it",
			"path", c.DataDir, "mode", fmt.Sprintf("%04o", st.Mode().Perm()))
	}
	s := &secrets{adminToken: c.AdminToken, readerTokens: list(c.ReaderToken)}
	var err error
	if s.adminToken == "" {
		if s.adminToken, err = tokenFile(filepath.Join(c.DataDir, "admin.token"), "admin token", log); err != nil {
			return nil, err
		}
	}
	if len(s.readerTokens) == 0 && c.ReadAccess == "token" {
		tok, err := tokenFile(filepath.Join(c.DataDir, "reader.token"), "reader token", log)
		if err != nil {
			return nil, err
		}
		s.readerTokens = []string{tok}
	}
	keyFile := c.LogKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(c.DataDir, "log.key")
	}
	name := c.Origin
	if name == "" {
		b := make([]byte, 4)
		rand.Read(b)
		name = "signet.invalid/log-" + hex.EncodeToString(b)
	}
	skey, created, err := readOrCreate(keyFile, func() (string, error) {
		sk, _, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			return "", fmt.Errorf("--origin %q cannot name a log key: %w", name, err)
		}
		return sk, nil
	})
	if err != nil {
		return nil, err
	}
	if s.signer, err = note.NewSigner(skey); err != nil {
		return nil, fmt.Errorf("log key %s: %w", keyFile, err)
	}
	if s.verifierKey, err = ledger.VerifierKey(skey); err != nil {
		return nil, fmt.Errorf("log key %s: %w", keyFile, err)
	}
	if s.verifier, err = note.NewVerifier(s.verifierKey); err != nil {
		return nil, err
	}
	// A checkpoint's origin is its key's name (C2SP tlog-checkpoint), so
	// the origin follows from the key and never from where the server runs.
	s.origin = s.signer.Name()
	if c.Origin != "" && c.Origin != s.origin {
		return nil, fmt.Errorf("--origin %q is not the name of the log key in %s, %q: a checkpoint's origin is its key's name; "+
			"drop --origin (SIGNET_ORIGIN) to use the key's, or give the key for that origin with --log-key-file", c.Origin, keyFile, s.origin)
	}
	log.Info("log key", "file", keyFile, "generated", created, "verifier_key", s.verifierKey)
	return s, nil
}

// tokenFile reads a bearer token from path, generating it on first use.
// It logs the file's path, never the token.
func tokenFile(path, what string, log *slog.Logger) (string, error) {
	tok, created, err := readOrCreate(path, func() (string, error) {
		b := make([]byte, 32)
		rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b), nil
	})
	if err != nil {
		return "", err
	}
	log.Info(what, "file", path, "generated", created)
	return tok, nil
}

// readOrCreate returns the trimmed contents of path, first writing gen()
// to it with mode 0600 if it does not exist. Like ssh with a private key,
// it refuses a file that its group or others may read or write.
func readOrCreate(path string, gen func() (string, error)) (string, bool, error) {
	b, err := secretfile.Read(path)
	if err == nil {
		return strings.TrimSpace(string(b)), false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	v, err := gen()
	if err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process won the race
		return readOrCreate(path, gen)
	}
	if err != nil {
		return "", false, err
	}
	if _, err := f.WriteString(v + "\n"); err != nil {
		f.Close()
		return "", false, err
	}
	return v, true, f.Close()
}

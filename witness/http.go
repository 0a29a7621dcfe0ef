package witness

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/signet-ledger/signet"
)

// Handler returns the witness's HTTP API: POST /add-checkpoint
// (c2sp.org/tlog-witness) and GET /<hex SHA-256 of an origin>/checkpoint,
// the latest cosigned checkpoint of that log.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", w.serveAddCheckpoint)
	mux.HandleFunc("GET /{originHash}/checkpoint", w.serveCheckpoint)
	return mux
}

// serveAddCheckpoint reads a body of at most signet.MaxAddCheckpointBody bytes (a larger
// one is 400) and writes
// AddCheckpoint's answer: the cosignature lines, or the error's status
// with its message as text (409: the known size, as the spec says).
func (w *Witness) serveAddCheckpoint(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, signet.MaxAddCheckpointBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok { // malformed, as other witnesses answer it
			http.Error(rw, "witness: the body exceeds "+strconv.Itoa(signet.MaxAddCheckpointBody)+" bytes", http.StatusBadRequest)
			return
		}
		http.Error(rw, "witness: reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	sigs, err := w.AddCheckpoint(r.Context(), body)
	status := StatusOf(err)
	switch {
	case err == nil:
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Write(sigs)
		return
	case status == http.StatusConflict:
		ce, _ := errors.AsType[*ConflictError](err)
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", ce.Size)
		return
	case status == http.StatusServiceUnavailable:
		rw.Header().Set("Retry-After", "5")
	case status == http.StatusInternalServerError:
		w.log.Error("witness: add-checkpoint", "err", err)
		http.Error(rw, "witness: internal error", status)
		return
	}
	http.Error(rw, err.Error(), status)
}

// serveCheckpoint answers the latest cosigned checkpoint of the log whose
// origin hashes to the path's hash, or 404.
func (w *Witness) serveCheckpoint(rw http.ResponseWriter, r *http.Request) {
	want := r.PathValue("originHash")
	for origin, l := range w.logs {
		sum := sha256.Sum256([]byte(origin))
		if hex.EncodeToString(sum[:]) != want {
			continue
		}
		l.mu.Lock()
		c := l.st.Cosigned
		l.mu.Unlock()
		if c == nil {
			break
		}
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(rw, c.Checkpoint)
		return
	}
	http.Error(rw, "witness: no checkpoint cosigned for that log", http.StatusNotFound)
}

package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/signet-ledger/signet/audit"
)

// watchPosition is where signet watch stopped following one signer in
// one log, under the state dir as
//
//	logs/<origin>/watch/<signer>.json
//
// replaced atomically after each batch of records that verified:
//
//	{"signer":"alice","size":N,"prev_hash":"<64 hex>","tree":["<base64>",...],
//	 "key_records":[<export line>,...]}
//
// The fields after signer are an [audit.Resume]: the records watched,
// the last one's hash, the compact range of their Merkle tree, and the
// log's key records among them, all that the next batch's audit needs.
type watchPosition struct {
	Signer string `json:"signer"`
	audit.Resume
}

func (s state) watchFile(origin, signer string) string {
	return filepath.Join(s.logFile(origin, "watch"), escapeName(signer)+".json")
}

// watchPosition reads the position of signer in log origin: from index 0
// when there is none.
func (s state) watchPosition(origin, signer string) (*watchPosition, error) {
	path := s.watchFile(origin, signer)
	b, ok, err := s.read(path)
	if err != nil || !ok {
		return &watchPosition{Signer: signer}, err
	}
	var p watchPosition
	if err := json.Unmarshal([]byte(b), &p); err != nil || p.Signer != signer {
		return nil, withHint(fmt.Errorf("the watch position %s does not parse, or is of another signer", path),
			"remove it to watch the log from index 0 again")
	}
	return &p, nil
}

func (s state) saveWatchPosition(origin string, p *watchPosition) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.write(s.watchFile(origin, p.Signer), append(b, '\n'))
}

-- The log: records, the Merkle tree's stored hashes, the head, and the
-- registry of signers and keys that the log's key records define. The same
-- tables, columns and constraints as migrations/postgres/00001_log.sql, in
-- SQLite's STRICT tables: INTEGER is a 64-bit integer, BLOB is bytea.

-- +goose Up
CREATE TABLE log_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    size       INTEGER NOT NULL CHECK (size >= 0),
    last_hash  BLOB    NOT NULL CHECK (length(last_hash) = 32),
    checkpoint TEXT    NOT NULL  -- signed note of the tree of size records; '' when empty
) STRICT;
INSERT INTO log_head (id, size, last_hash, checkpoint) VALUES (1, 0, zeroblob(32), '');

CREATE TABLE records (
    idx           INTEGER PRIMARY KEY CHECK (idx >= 0),
    kind          TEXT    NOT NULL,
    signer        TEXT    NOT NULL,
    kid           TEXT    NOT NULL,  -- '' for a record the operator made
    integrated_us INTEGER NOT NULL,  -- Unix microseconds, UTC
    protected     TEXT    NOT NULL,  -- the JWS parts exactly as received (base64url)
    payload       TEXT    NOT NULL,
    signature     TEXT    NOT NULL,
    nonce         TEXT,              -- NULL for operator records
    hash          BLOB    NOT NULL,
    prev_hash     BLOB    NOT NULL
) STRICT;
-- A nonce is accepted once: this index is what makes it single use.
CREATE UNIQUE INDEX records_nonce ON records (nonce);
CREATE INDEX records_signer ON records (signer, idx);
-- Key events are rare; filtering by any kind but entry uses this. Unlike
-- PostgreSQL, SQLite uses a partial index only for a query that repeats its
-- condition (the store adds "kind <> 'entry'"), and picks the signer's own
-- index unless this one also has the signer: hence (kind, signer, idx).
CREATE INDEX records_key_events ON records (kind, signer, idx) WHERE kind <> 'entry';

-- Stored hashes of the RFC 6962 tree, indexed as golang.org/x/mod/sumdb/tlog
-- StoredHashIndex numbers them.
CREATE TABLE tree_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB    NOT NULL
) STRICT;

CREATE TABLE signers (
    id            TEXT    PRIMARY KEY,
    registered_at INTEGER NOT NULL,  -- log index of its signer.registered record
    registered_us INTEGER NOT NULL
) STRICT;

CREATE TABLE signer_keys (
    kid               TEXT    PRIMARY KEY,
    signer            TEXT    NOT NULL REFERENCES signers (id),
    x                 TEXT    NOT NULL,  -- the JWK's x: base64url public key
    added_at          INTEGER NOT NULL,
    added_us          INTEGER NOT NULL,
    revoked_at        INTEGER,
    revoked_us        INTEGER,
    revoked_by        TEXT,
    reason            TEXT,
    compromised_since INTEGER
) STRICT;
CREATE INDEX signer_keys_signer ON signer_keys (signer, added_at);

-- Secrets shared by every server on this database (the nonce HMAC key).
-- The log's checkpoint signing key is never stored here.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- +goose Down
DROP TABLE secrets;
DROP TABLE signer_keys;
DROP TABLE signers;
DROP TABLE tree_hashes;
DROP TABLE records;
DROP TABLE log_head;

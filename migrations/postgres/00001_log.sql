-- The log: records, the Merkle tree's stored hashes, the head, and the
-- registry of signers and keys that the log's key records define.

-- +goose Up
CREATE TABLE log_head (
    id         smallint PRIMARY KEY CHECK (id = 1),
    size       bigint   NOT NULL CHECK (size >= 0),
    last_hash  bytea    NOT NULL CHECK (length(last_hash) = 32),
    checkpoint text     NOT NULL  -- signed note of the tree of size records; '' when empty
);
INSERT INTO log_head (id, size, last_hash, checkpoint)
VALUES (1, 0, decode(repeat('00', 32), 'hex'), '');

CREATE TABLE records (
    idx           bigint PRIMARY KEY CHECK (idx >= 0),
    kind          text   NOT NULL,
    signer        text   NOT NULL,
    kid           text   NOT NULL,   -- '' for a record the operator made
    integrated_us bigint NOT NULL,   -- Unix microseconds, UTC
    protected     text   NOT NULL,   -- the JWS parts exactly as received (base64url)
    payload       text   NOT NULL,
    signature     text   NOT NULL,
    nonce         text,              -- NULL for operator records
    hash          bytea  NOT NULL,
    prev_hash     bytea  NOT NULL
);
-- A nonce is accepted once: this index is what makes it single use.
CREATE UNIQUE INDEX records_nonce ON records (nonce);
CREATE INDEX records_signer ON records (signer, idx);
-- Key events are rare; filtering by any kind but entry uses this.
CREATE INDEX records_key_events ON records (kind, idx) WHERE kind <> 'entry';

-- Stored hashes of the RFC 6962 tree, indexed as golang.org/x/mod/sumdb/tlog
-- StoredHashIndex numbers them.
CREATE TABLE tree_hashes (
    idx  bigint PRIMARY KEY,
    hash bytea  NOT NULL
);

CREATE TABLE signers (
    id            text   PRIMARY KEY,
    registered_at bigint NOT NULL,  -- log index of its signer.registered record
    registered_us bigint NOT NULL
);

CREATE TABLE signer_keys (
    kid               text   PRIMARY KEY,
    signer            text   NOT NULL REFERENCES signers (id),
    x                 text   NOT NULL,  -- the JWK's x: base64url public key
    added_at          bigint NOT NULL,
    added_us          bigint NOT NULL,
    revoked_at        bigint,
    revoked_us        bigint,
    revoked_by        text,
    reason            text,
    compromised_since bigint
);
CREATE INDEX signer_keys_signer ON signer_keys (signer, added_at);

-- Secrets shared by every server on this database (the nonce HMAC key).
-- The log's checkpoint signing key is never stored here.
CREATE TABLE secrets (
    name  text  PRIMARY KEY,
    value bytea NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE signer_keys;
DROP TABLE signers;
DROP TABLE tree_hashes;
DROP TABLE records;
DROP TABLE log_head;

-- Witness cosignatures (c2sp.org/tlog-cosignature) of the log's
-- checkpoints: the checkpoint note of each cosigned size as the log signed
-- it, and each witness's cosignature line on it. A witness keeps its first
-- cosignature of a size: a signed note carries one signature per key.

-- +goose Up
CREATE TABLE checkpoints (
    size bigint PRIMARY KEY CHECK (size >= 0),
    note text   NOT NULL  -- the log-signed checkpoint note, without cosignatures
);

CREATE TABLE cosignatures (
    size     bigint NOT NULL REFERENCES checkpoints (size),
    witness  text   NOT NULL,  -- the witness's verifier key (vkey)
    line     text   NOT NULL,  -- "— <name> <base64>\n"
    added_us bigint NOT NULL,  -- Unix microseconds
    PRIMARY KEY (size, witness)
);
CREATE INDEX cosignatures_witness ON cosignatures (witness, size);

-- +goose Down
DROP TABLE cosignatures;
DROP TABLE checkpoints;

-- The same tables as migrations/postgres/00003_cosignatures.sql: the
-- checkpoint note of each cosigned size and each witness's cosignature
-- line on it, one per witness and size.

-- +goose Up
CREATE TABLE checkpoints (
    size INTEGER PRIMARY KEY CHECK (size >= 0),
    note TEXT    NOT NULL
) STRICT;

CREATE TABLE cosignatures (
    size     INTEGER NOT NULL REFERENCES checkpoints (size),
    witness  TEXT    NOT NULL,
    line     TEXT    NOT NULL,
    added_us INTEGER NOT NULL,
    PRIMARY KEY (size, witness)
) STRICT;
CREATE INDEX cosignatures_witness ON cosignatures (witness, size);

-- +goose Down
DROP TABLE cosignatures;
DROP TABLE checkpoints;

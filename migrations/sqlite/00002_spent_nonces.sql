-- The same table as migrations/postgres/00002_spent_nonces.sql: nonces of
-- signed requests refused under the log's lock, so that a nonce works once
-- whatever the answer.

-- +goose Up
CREATE TABLE spent_nonces (
    nonce    TEXT    PRIMARY KEY,
    spent_us INTEGER NOT NULL  -- Unix microseconds
) STRICT;
CREATE INDEX spent_nonces_spent_us ON spent_nonces (spent_us);

-- +goose Down
DROP TABLE spent_nonces;

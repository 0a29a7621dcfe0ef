-- Nonces of signed requests that verified but were refused under the
-- log's lock (a rule refused them: the last key, a revoked key, ...). A
-- nonce works once, whatever the answer: an accepted request's nonce is in
-- records.nonce, a refused one's here, so a captured refused request
-- cannot be replayed once the state that refused it has changed. Rows
-- older than the nonce lifetime are deleted as batches commit: an expired
-- nonce is refused by its own timestamp.

-- +goose Up
CREATE TABLE spent_nonces (
    nonce    text   PRIMARY KEY,
    spent_us bigint NOT NULL  -- Unix microseconds
);
CREATE INDEX spent_nonces_spent_us ON spent_nonces (spent_us);

-- +goose Down
DROP TABLE spent_nonces;

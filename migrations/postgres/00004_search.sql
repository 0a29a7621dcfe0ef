-- Content search (GET /v1/entries?match=): each record's payload as jsonb,
-- derived from the signed payload and indexed with GIN (jsonb_path_ops),
-- so that payload_doc @> match finds candidates without reading the log.
-- payload_doc is derived data: signet_payload_doc(payload) recomputes it,
-- and the answers are checked against the signed payload in Go.
--
-- A payload jsonb cannot hold (a \u0000 escape, a number beyond numeric's
-- range or scale, both strict JSON) gets NULL, and
-- records_payload_unindexed lists those records for the Go check.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION signet_jsonb(t text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN t::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- signet_payload_doc decodes a record's payload column (unpadded
-- base64url of the JSON that was signed) into jsonb, or NULL.
-- +goose StatementBegin
CREATE FUNCTION signet_payload_doc(payload text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN convert_from(decode(rpad(translate(payload, '-_', '+/'), (length(payload) + 3) / 4 * 4, '='),
        'base64'), 'UTF8')::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
-- +goose StatementEnd

ALTER TABLE records ADD COLUMN payload_doc jsonb;
UPDATE records SET payload_doc = signet_payload_doc(payload);
CREATE INDEX records_payload_doc ON records USING gin (payload_doc jsonb_path_ops);
CREATE INDEX records_payload_unindexed ON records (idx) WHERE payload_doc IS NULL;

-- The signer directory pages by id bytewise, whatever the database's
-- collation.
CREATE INDEX signers_id_c ON signers (id COLLATE "C");

-- +goose Down
DROP INDEX signers_id_c;
ALTER TABLE records DROP COLUMN payload_doc;
DROP FUNCTION signet_payload_doc(text);
DROP FUNCTION signet_jsonb(text);

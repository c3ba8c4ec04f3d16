-- Human codes (DLID…, TXN-…, INV-…) from one PostgreSQL sequence per organisation and code,
-- instead of an upsert on a `code_sequences` row.
--
-- Why: the counter row was locked from the draw to the drawing transaction's COMMIT, so an
-- organisation's payments were recorded one after another. Drawing in a short side transaction
-- (the previous fix) cost three more round trips and a second connection per request. nextval
-- never waits for another transaction and runs inside the statement that uses the code. As
-- before, a code drawn by a transaction that then fails is skipped, not reused.
--
-- A sequence is created on an organisation's first draw of that code, starting after the
-- `code_sequences` row if there is one (codes drawn before this migration, or a start set by
-- demo data or an import), so numbering continues where it was.
CREATE SCHEMA IF NOT EXISTS codes;
GRANT USAGE ON SCHEMA codes TO prs_app, prs_system;

-- Creates the sequence as the schema's owner (the application roles may not create objects).
-- Only for the organisation in scope (or from system scope), so no tenant can set another's start.
CREATE OR REPLACE FUNCTION app.create_code_sequence(org bigint, seq text, start bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  IF seq !~ '^[a-z_]{1,24}$' THEN RAISE EXCEPTION 'invalid code name %', seq USING ERRCODE = '22023'; END IF;
  IF COALESCE(current_setting('app.organization_id', true), '') NOT IN ('', org::text) THEN
    RAISE EXCEPTION 'codes of another organisation' USING ERRCODE = '42501';
  END IF;
  BEGIN
    EXECUTE format('CREATE SEQUENCE codes.%I AS bigint START %s MINVALUE 1', org::text || '/' || seq, GREATEST(start, 1));
    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE codes.%I TO prs_app, prs_system', org::text || '/' || seq);
  EXCEPTION WHEN duplicate_table OR unique_violation THEN
    NULL; -- created meanwhile by a concurrent first draw, which this one waited for
  END;
END $$;
REVOKE ALL ON FUNCTION app.create_code_sequence(bigint, text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.create_code_sequence(bigint, text, bigint) TO prs_app, prs_system;

-- Runs as the caller: the start row is read under the caller's row-level security.
CREATE OR REPLACE FUNCTION app.next_code_value(org bigint, seq text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  rel regclass := to_regclass(format('codes.%I', org::text || '/' || seq));
  last bigint;
BEGIN
  IF rel IS NULL THEN
    SELECT c.last_value INTO last FROM code_sequences c WHERE c.organization_id = org AND c.name = seq;
    PERFORM app.create_code_sequence(org, seq, COALESCE(last, 0) + 1);
    rel := format('codes.%I', org::text || '/' || seq)::regclass;
  END IF;
  RETURN nextval(rel);
END $$;

-- A payment's created_at comes from the clock (0007) while updated_at defaulted to the
-- transaction's start, so a new payment looked changed before it was created. On insert
-- updated_at is at least created_at (equal for a new payment); an update in the creating
-- transaction keeps it there too.
CREATE OR REPLACE FUNCTION app.touch_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := greatest(CASE WHEN TG_OP = 'INSERT' THEN NEW.updated_at ELSE now() END, NEW.created_at);
  RETURN NEW;
END $$;

-- Existing rows first, while no touch trigger rewrites updated_at (the totals trigger ignores
-- this column); as prs_system, since the owner is subject to FORCE row-level security.
DROP TRIGGER payments_touch ON payments;
SET LOCAL ROLE prs_system;
UPDATE payments SET updated_at = created_at WHERE updated_at < created_at;
RESET ROLE;

CREATE TRIGGER payments_touch BEFORE INSERT OR UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION app.touch_payment();

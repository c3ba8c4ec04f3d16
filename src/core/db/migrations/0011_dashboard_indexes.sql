-- For the salesperson's dashboard panels, found with the benchmark at 100,000 deals per
-- organisation (both panels used to read every deal of the salesperson):
--   - the newest outstanding deals, read in deal-date order until ten are found;
--   - the newest payments on the salesperson's deals, read from the deals with the newest
--     payment (`last_payment_at`, kept by a trigger): the n newest payments always lie on the
--     n deals with the newest last payment.
CREATE INDEX deals_org_creator_date ON deals (organization_id, created_by, deal_date DESC, id DESC) WHERE deleted_at IS NULL;

ALTER TABLE deals ADD COLUMN last_payment_at timestamptz;
CREATE INDEX deals_org_creator_last_payment ON deals (organization_id, created_by, last_payment_at DESC)
  WHERE deleted_at IS NULL AND last_payment_at IS NOT NULL;

-- Never NULL (an unset setting reads as NULL), so that `NOT app.bulk_loading()` is safe.
CREATE OR REPLACE FUNCTION app.bulk_loading() RETURNS boolean
  LANGUAGE sql STABLE AS $$ SELECT COALESCE(current_setting('app.bulk_load', true) = 'on', false) $$;

CREATE OR REPLACE FUNCTION app.payments_touch_deal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT app.bulk_loading() THEN
    UPDATE deals SET last_payment_at = NEW.created_at
    WHERE id = NEW.deal_id AND (last_payment_at IS NULL OR last_payment_at < NEW.created_at);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER payments_touch_deal AFTER INSERT ON payments FOR EACH ROW EXECUTE FUNCTION app.payments_touch_deal();

-- Existing data, as prs_system (the owner is subject to FORCE row-level security).
SET LOCAL ROLE prs_system;
UPDATE deals d SET last_payment_at = x.newest
FROM (SELECT deal_id, max(created_at) AS newest FROM payments GROUP BY deal_id) x
WHERE d.id = x.deal_id AND d.last_payment_at IS DISTINCT FROM x.newest;
RESET ROLE;

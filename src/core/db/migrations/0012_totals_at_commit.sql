-- The dashboards' aggregates are now written at commit, not at the moment of each change.
--
-- Why: every payment of one salesperson on one day adds to the same sales_daily, sales_monthly
-- and payment_totals rows. Upserted by the row triggers (0008), those rows stayed locked from
-- the payment's INSERT to its transaction's COMMIT, so one organisation's payments were
-- recorded one after another (found by the benchmark: create payment).
--
-- Now the triggers compute each contribution exactly as before (signed, at the moment of the
-- change, with the deal's state of that moment) but only append it to `totals_pending`, which
-- nobody else touches. A deferred constraint trigger folds this transaction's pending rows into
-- the aggregates at COMMIT, in one fixed order (table, then key), so the counter rows are held
-- only while the transaction commits and two committing transactions cannot deadlock on them.
CREATE UNLOGGED TABLE totals_pending (
  xact xid8 NOT NULL DEFAULT pg_current_xact_id(),
  organization_id bigint NOT NULL,
  -- p: a payment's money (sales_daily, sales_monthly, payment_totals); d: a deal's count
  -- (deal_totals); c: a deal's client panel (client_totals); i: an invoice (invoice_totals).
  target "char" NOT NULL,
  user_id bigint,
  client_id bigint,
  currency char(3),
  status text,
  method text,
  day date,
  bucket smallint,
  n integer NOT NULL,
  amount numeric(18, 2),
  deal_value numeric(18, 2)
);
CREATE INDEX totals_pending_xact ON totals_pending (xact);
SELECT app.enable_tenant_rls('totals_pending');

CREATE OR REPLACE FUNCTION app.add_payment_totals(
  p_org bigint, p_user bigint, p_currency text, p_status text, p_method text, p_day date, p_amount numeric, p_n integer
) RETURNS void LANGUAGE sql AS $$
  INSERT INTO totals_pending (organization_id, target, user_id, currency, status, method, day, n, amount)
  VALUES (p_org, 'p', p_user, p_currency, p_status, p_method, p_day, p_n, p_amount);
$$;

CREATE OR REPLACE FUNCTION app.apply_deal(d deals, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF d.deleted_at IS NOT NULL THEN
    RETURN;
  END IF;
  INSERT INTO totals_pending (organization_id, target, user_id, status, n)
  VALUES (d.organization_id, 'd', d.created_by, d.verification_status, sign);
  INSERT INTO totals_pending (organization_id, target, user_id, client_id, currency, n, deal_value, amount)
  VALUES (d.organization_id, 'c', d.created_by, d.client_id, d.currency, sign, sign * d.deal_value, sign * d.verified_total);
END $$;

CREATE OR REPLACE FUNCTION app.invoices_maintain_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF app.bulk_loading() OR (TG_OP = 'UPDATE' AND OLD.status = NEW.status) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO totals_pending (organization_id, target, status, bucket, n)
    VALUES (OLD.organization_id, 'i', OLD.status, app.invoice_bucket(OLD.id), -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO totals_pending (organization_id, target, status, bucket, n)
    VALUES (NEW.organization_id, 'i', NEW.status, app.invoice_bucket(NEW.id), 1);
  END IF;
  RETURN NULL;
END $$;

-- Folds the transaction's pending contributions. It runs once per pending row (a row trigger);
-- the first run folds them all, the others find nothing left.
CREATE OR REPLACE FUNCTION app.fold_pending_totals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  x xid8 := pg_current_xact_id();
BEGIN
  IF NOT EXISTS (SELECT 1 FROM totals_pending WHERE xact = x) THEN
    RETURN NULL;
  END IF;
  INSERT INTO sales_daily AS t (organization_id, status, day, user_id, currency, amount, payments)
  SELECT organization_id, status, day, user_id, currency, sum(amount), sum(n) FROM totals_pending
  WHERE xact = x AND target = 'p' GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (organization_id, status, day, user_id, currency)
  DO UPDATE SET amount = t.amount + EXCLUDED.amount, payments = t.payments + EXCLUDED.payments;
  INSERT INTO sales_monthly AS t (organization_id, status, month, user_id, currency, amount, payments)
  SELECT organization_id, status, date_trunc('month', day)::date, user_id, currency, sum(amount), sum(n) FROM totals_pending
  WHERE xact = x AND target = 'p' GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (organization_id, status, month, user_id, currency)
  DO UPDATE SET amount = t.amount + EXCLUDED.amount, payments = t.payments + EXCLUDED.payments;
  INSERT INTO payment_totals AS t (organization_id, user_id, status, payment_method, currency, amount, payments)
  SELECT organization_id, user_id, status, method, currency, sum(amount), sum(n) FROM totals_pending
  WHERE xact = x AND target = 'p' GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (organization_id, user_id, status, payment_method, currency)
  DO UPDATE SET amount = t.amount + EXCLUDED.amount, payments = t.payments + EXCLUDED.payments;
  INSERT INTO deal_totals AS t (organization_id, user_id, verification_status, deals)
  SELECT organization_id, user_id, status, sum(n) FROM totals_pending
  WHERE xact = x AND target = 'd' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (organization_id, user_id, verification_status) DO UPDATE SET deals = t.deals + EXCLUDED.deals;
  INSERT INTO client_totals AS t (organization_id, client_id, user_id, currency, deals, deal_value, verified_total)
  SELECT organization_id, client_id, user_id, currency, sum(n), sum(deal_value), sum(amount) FROM totals_pending
  WHERE xact = x AND target = 'c' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (organization_id, client_id, user_id, currency)
  DO UPDATE SET deals = t.deals + EXCLUDED.deals, deal_value = t.deal_value + EXCLUDED.deal_value,
                verified_total = t.verified_total + EXCLUDED.verified_total;
  INSERT INTO invoice_totals AS t (organization_id, status, bucket, invoices)
  SELECT organization_id, status, bucket, sum(n) FROM totals_pending
  WHERE xact = x AND target = 'i' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (organization_id, status, bucket) DO UPDATE SET invoices = t.invoices + EXCLUDED.invoices;
  DELETE FROM totals_pending WHERE xact = x;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER totals_pending_fold AFTER INSERT ON totals_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION app.fold_pending_totals();

-- A rebuild recomputes from the rows as this transaction sees them, which already include its
-- own pending changes: those must not be folded in a second time.
ALTER FUNCTION app.rebuild_dashboard_totals(bigint) RENAME TO rebuild_dashboard_totals_from_rows;
CREATE FUNCTION app.rebuild_dashboard_totals(p_org bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM totals_pending WHERE xact = pg_current_xact_id() AND organization_id = p_org;
  PERFORM app.rebuild_dashboard_totals_from_rows(p_org);
END $$;

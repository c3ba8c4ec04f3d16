-- Maintained aggregates for the dashboards, so that their cost does not grow with an
-- organisation's history. Triggers keep them in step with payments, deals and invoices inside
-- the writing transaction (exact, never stale); `app.rebuild_dashboard_totals(org)` recomputes
-- one organisation from scratch (bulk loads, repairs, the test that proves the triggers).
--
-- Money of a payment: verified_amount once verified, received_amount in every other state
-- (the rule of the dashboards' "sales" and "pending/rejected/refunded" panels). A payment
-- counts for its deal's salesperson (deals.created_by) in the deal's currency, and only while
-- the deal is not deleted. Currencies are part of every key: nothing here adds currencies.

-- Per day: short ranges (today, this week, a chart of days).
CREATE TABLE sales_daily (
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  status text NOT NULL,
  day date NOT NULL,
  user_id bigint NOT NULL,
  currency char(3) NOT NULL,
  amount numeric(18, 2) NOT NULL DEFAULT 0,
  payments integer NOT NULL DEFAULT 0,
  PRIMARY KEY (organization_id, status, day, user_id, currency)
);
CREATE INDEX sales_daily_user ON sales_daily (organization_id, user_id, status, day);
SELECT app.enable_tenant_rls('sales_daily');

-- Per calendar month (month = its first day): the whole months of long ranges.
CREATE TABLE sales_monthly (
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  status text NOT NULL,
  month date NOT NULL,
  user_id bigint NOT NULL,
  currency char(3) NOT NULL,
  amount numeric(18, 2) NOT NULL DEFAULT 0,
  payments integer NOT NULL DEFAULT 0,
  PRIMARY KEY (organization_id, status, month, user_id, currency)
);
CREATE INDEX sales_monthly_user ON sales_monthly (organization_id, user_id, status, month);
SELECT app.enable_tenant_rls('sales_monthly');

-- All time, with the payment method (verifier panels, all-time totals).
CREATE TABLE payment_totals (
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id bigint NOT NULL,
  status text NOT NULL,
  payment_method text NOT NULL,
  currency char(3) NOT NULL,
  amount numeric(18, 2) NOT NULL DEFAULT 0,
  payments integer NOT NULL DEFAULT 0,
  PRIMARY KEY (organization_id, user_id, status, payment_method, currency)
);
SELECT app.enable_tenant_rls('payment_totals');

-- Live deals per salesperson and verification status.
CREATE TABLE deal_totals (
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id bigint NOT NULL,
  verification_status text NOT NULL,
  deals integer NOT NULL DEFAULT 0,
  PRIMARY KEY (organization_id, user_id, verification_status)
);
SELECT app.enable_tenant_rls('deal_totals');

-- Live deals per client, salesperson and currency (client panels: value, paid, outstanding).
CREATE TABLE client_totals (
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  client_id bigint NOT NULL,
  user_id bigint NOT NULL,
  currency char(3) NOT NULL,
  deals integer NOT NULL DEFAULT 0,
  deal_value numeric(18, 2) NOT NULL DEFAULT 0,
  verified_total numeric(18, 2) NOT NULL DEFAULT 0,
  PRIMARY KEY (organization_id, client_id, user_id, currency)
);
CREATE INDEX client_totals_value ON client_totals (organization_id, currency, verified_total DESC);
SELECT app.enable_tenant_rls('client_totals');

-- Invoices per status, spread over 8 buckets (by id) so that concurrent writers of one
-- organisation rarely wait for the same counter row.
CREATE TABLE invoice_totals (
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  status text NOT NULL,
  bucket smallint NOT NULL,
  invoices integer NOT NULL DEFAULT 0,
  PRIMARY KEY (organization_id, status, bucket)
);
SELECT app.enable_tenant_rls('invoice_totals');
-- Overdue invoices are counted from the pending ones directly.
CREATE INDEX invoices_org_pending_due ON invoices (organization_id, due_date) WHERE status = 'pending';

-- Bulk loaders set app.bulk_load = 'on' for their transaction and rebuild afterwards.
CREATE OR REPLACE FUNCTION app.bulk_loading() RETURNS boolean
  LANGUAGE sql STABLE AS $$ SELECT current_setting('app.bulk_load', true) = 'on' $$;

CREATE OR REPLACE FUNCTION app.payment_money(status text, received numeric, verified numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN status = 'verified' THEN COALESCE(verified, 0) ELSE received END $$;

CREATE OR REPLACE FUNCTION app.add_payment_totals(
  p_org bigint, p_user bigint, p_currency text, p_status text, p_method text, p_day date, p_amount numeric, p_n integer
) RETURNS void LANGUAGE sql AS $$
  INSERT INTO sales_daily AS t (organization_id, status, day, user_id, currency, amount, payments)
  VALUES (p_org, p_status, p_day, p_user, p_currency, p_amount, p_n)
  ON CONFLICT (organization_id, status, day, user_id, currency)
  DO UPDATE SET amount = t.amount + EXCLUDED.amount, payments = t.payments + EXCLUDED.payments;
  INSERT INTO sales_monthly AS t (organization_id, status, month, user_id, currency, amount, payments)
  VALUES (p_org, p_status, date_trunc('month', p_day)::date, p_user, p_currency, p_amount, p_n)
  ON CONFLICT (organization_id, status, month, user_id, currency)
  DO UPDATE SET amount = t.amount + EXCLUDED.amount, payments = t.payments + EXCLUDED.payments;
  INSERT INTO payment_totals AS t (organization_id, user_id, status, payment_method, currency, amount, payments)
  VALUES (p_org, p_user, p_status, p_method, p_currency, p_amount, p_n)
  ON CONFLICT (organization_id, user_id, status, payment_method, currency)
  DO UPDATE SET amount = t.amount + EXCLUDED.amount, payments = t.payments + EXCLUDED.payments;
$$;

-- A payment's contribution, signed; nothing while its deal is deleted.
CREATE OR REPLACE FUNCTION app.apply_payment(p payments, sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  d record;
BEGIN
  SELECT created_by, currency, deleted_at INTO d FROM deals WHERE id = p.deal_id;
  IF NOT FOUND OR d.deleted_at IS NOT NULL THEN
    RETURN;
  END IF;
  PERFORM app.add_payment_totals(p.organization_id, d.created_by, d.currency, p.status, p.payment_method, p.payment_date,
    sign * app.payment_money(p.status, p.received_amount, p.verified_amount), sign);
END $$;

CREATE OR REPLACE FUNCTION app.payments_maintain_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF app.bulk_loading() THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF OLD.status = NEW.status AND OLD.payment_date = NEW.payment_date AND OLD.payment_method = NEW.payment_method
       AND OLD.deal_id = NEW.deal_id AND OLD.received_amount = NEW.received_amount
       AND OLD.verified_amount IS NOT DISTINCT FROM NEW.verified_amount THEN
      RETURN NULL;
    END IF;
    -- Counter rows are locked in status order whatever the direction of the change, so two
    -- opposite transitions (pending → rejected, rejected → pending) cannot deadlock.
    IF NEW.status < OLD.status THEN
      PERFORM app.apply_payment(NEW, 1);
      PERFORM app.apply_payment(OLD, -1);
    ELSE
      PERFORM app.apply_payment(OLD, -1);
      PERFORM app.apply_payment(NEW, 1);
    END IF;
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM app.apply_payment(NEW, 1);
  ELSE
    PERFORM app.apply_payment(OLD, -1);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER payments_totals AFTER INSERT OR UPDATE OR DELETE ON payments
  FOR EACH ROW EXECUTE FUNCTION app.payments_maintain_totals();

-- A deal's own contribution (deal counts, client panels), signed; nothing while deleted.
CREATE OR REPLACE FUNCTION app.apply_deal(d deals, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF d.deleted_at IS NOT NULL THEN
    RETURN;
  END IF;
  INSERT INTO deal_totals AS t (organization_id, user_id, verification_status, deals)
  VALUES (d.organization_id, d.created_by, d.verification_status, sign)
  ON CONFLICT (organization_id, user_id, verification_status) DO UPDATE SET deals = t.deals + EXCLUDED.deals;
  INSERT INTO client_totals AS t (organization_id, client_id, user_id, currency, deals, deal_value, verified_total)
  VALUES (d.organization_id, d.client_id, d.created_by, d.currency, sign, sign * d.deal_value, sign * d.verified_total)
  ON CONFLICT (organization_id, client_id, user_id, currency)
  DO UPDATE SET deals = t.deals + EXCLUDED.deals, deal_value = t.deal_value + EXCLUDED.deal_value,
                verified_total = t.verified_total + EXCLUDED.verified_total;
END $$;

-- The contributions of a deal's payments move with the deal's salesperson, currency and
-- deleted state.
CREATE OR REPLACE FUNCTION app.apply_deal_payments(d deals, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF d.deleted_at IS NOT NULL THEN
    RETURN;
  END IF;
  PERFORM app.add_payment_totals(p.organization_id, d.created_by, d.currency, p.status, p.payment_method, p.payment_date,
    sign * app.payment_money(p.status, p.received_amount, p.verified_amount), sign)
  FROM payments p WHERE p.deal_id = d.id ORDER BY p.status, p.payment_date, p.id;
END $$;

CREATE OR REPLACE FUNCTION app.deals_maintain_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF app.bulk_loading() THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    PERFORM app.apply_deal(NEW, 1);
    RETURN NULL;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM app.apply_deal(OLD, -1);
    PERFORM app.apply_deal_payments(OLD, -1);
    RETURN NULL;
  END IF;
  IF (OLD.deleted_at IS NULL) IS DISTINCT FROM (NEW.deleted_at IS NULL) OR OLD.created_by <> NEW.created_by
     OR OLD.currency <> NEW.currency OR OLD.verification_status <> NEW.verification_status OR OLD.client_id <> NEW.client_id
     OR OLD.deal_value <> NEW.deal_value OR OLD.verified_total <> NEW.verified_total THEN
    PERFORM app.apply_deal(OLD, -1);
    PERFORM app.apply_deal(NEW, 1);
  END IF;
  IF (OLD.deleted_at IS NULL) IS DISTINCT FROM (NEW.deleted_at IS NULL) OR OLD.created_by <> NEW.created_by OR OLD.currency <> NEW.currency THEN
    PERFORM app.apply_deal_payments(OLD, -1);
    PERFORM app.apply_deal_payments(NEW, 1);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER deals_totals AFTER INSERT OR UPDATE OR DELETE ON deals
  FOR EACH ROW EXECUTE FUNCTION app.deals_maintain_totals();

CREATE OR REPLACE FUNCTION app.invoice_bucket(id bigint) RETURNS smallint
  LANGUAGE sql IMMUTABLE AS $$ SELECT (id % 8)::smallint $$;

CREATE OR REPLACE FUNCTION app.invoices_maintain_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF app.bulk_loading() OR (TG_OP = 'UPDATE' AND OLD.status = NEW.status) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO invoice_totals AS t (organization_id, status, bucket, invoices)
    VALUES (OLD.organization_id, OLD.status, app.invoice_bucket(OLD.id), -1)
    ON CONFLICT (organization_id, status, bucket) DO UPDATE SET invoices = t.invoices + EXCLUDED.invoices;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO invoice_totals AS t (organization_id, status, bucket, invoices)
    VALUES (NEW.organization_id, NEW.status, app.invoice_bucket(NEW.id), 1)
    ON CONFLICT (organization_id, status, bucket) DO UPDATE SET invoices = t.invoices + EXCLUDED.invoices;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER invoices_totals AFTER INSERT OR UPDATE OR DELETE ON invoices
  FOR EACH ROW EXECUTE FUNCTION app.invoices_maintain_totals();

-- Recomputes one organisation's aggregates from its rows (set-based: used after bulk loads).
CREATE OR REPLACE FUNCTION app.rebuild_dashboard_totals(p_org bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM sales_daily WHERE organization_id = p_org;
  DELETE FROM sales_monthly WHERE organization_id = p_org;
  DELETE FROM payment_totals WHERE organization_id = p_org;
  DELETE FROM deal_totals WHERE organization_id = p_org;
  DELETE FROM client_totals WHERE organization_id = p_org;
  DELETE FROM invoice_totals WHERE organization_id = p_org;

  CREATE TEMP TABLE IF NOT EXISTS rebuild_payment_rows (
    status text, day date, user_id bigint, currency char(3), method text, amount numeric, n integer
  ) ON COMMIT DROP;
  TRUNCATE rebuild_payment_rows;
  INSERT INTO rebuild_payment_rows
  SELECT p.status, p.payment_date, d.created_by, d.currency, p.payment_method,
         sum(app.payment_money(p.status, p.received_amount, p.verified_amount)), count(*)::int
  FROM payments p JOIN deals d ON d.id = p.deal_id
  WHERE p.organization_id = p_org AND d.deleted_at IS NULL
  GROUP BY 1, 2, 3, 4, 5;

  INSERT INTO sales_daily (organization_id, status, day, user_id, currency, amount, payments)
  SELECT p_org, status, day, user_id, currency, sum(amount), sum(n) FROM rebuild_payment_rows GROUP BY 2, 3, 4, 5;
  INSERT INTO sales_monthly (organization_id, status, month, user_id, currency, amount, payments)
  SELECT p_org, status, date_trunc('month', day)::date, user_id, currency, sum(amount), sum(n) FROM rebuild_payment_rows GROUP BY 2, 3, 4, 5;
  INSERT INTO payment_totals (organization_id, user_id, status, payment_method, currency, amount, payments)
  SELECT p_org, user_id, status, method, currency, sum(amount), sum(n) FROM rebuild_payment_rows GROUP BY 2, 3, 4, 5;
  TRUNCATE rebuild_payment_rows;

  INSERT INTO deal_totals (organization_id, user_id, verification_status, deals)
  SELECT p_org, created_by, verification_status, count(*) FROM deals
  WHERE organization_id = p_org AND deleted_at IS NULL GROUP BY 2, 3;
  INSERT INTO client_totals (organization_id, client_id, user_id, currency, deals, deal_value, verified_total)
  SELECT p_org, client_id, created_by, currency, count(*), sum(deal_value), sum(verified_total) FROM deals
  WHERE organization_id = p_org AND deleted_at IS NULL GROUP BY 2, 3, 4;
  INSERT INTO invoice_totals (organization_id, status, bucket, invoices)
  SELECT p_org, status, app.invoice_bucket(id), count(*) FROM invoices WHERE organization_id = p_org GROUP BY 2, 3;
END $$;

-- Existing data (databases migrated before this file). The owner is subject to FORCE row-level
-- security, so the backfill runs as prs_system, which sees every organisation.
SET LOCAL ROLE prs_system;
SELECT app.rebuild_dashboard_totals(id) FROM organizations;
RESET ROLE;

-- Commission (exchange rates, plans, one accrual per verified payment, period statements) and
-- sales streaks (one record per salesperson and day).

-- Rates recorded by the organisation: 1 <from_currency> = <rate> <to_currency> from rate_date on.
CREATE TABLE exchange_rates (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  rate_date date NOT NULL,
  from_currency char(3) NOT NULL CHECK (from_currency ~ '^[A-Z]{3}$'),
  to_currency char(3) NOT NULL CHECK (to_currency ~ '^[A-Z]{3}$'),
  rate numeric(18, 8) NOT NULL CHECK (rate > 0),
  created_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (from_currency <> to_currency),
  UNIQUE (organization_id, from_currency, to_currency, rate_date)
);
SELECT app.enable_tenant_rls('exchange_rates');

-- The rate in force on a day: 1 for the same currency, else the latest rate recorded on or
-- before that day, else NULL (no conversion is possible).
CREATE OR REPLACE FUNCTION app.fx_rate(org bigint, from_ccy text, to_ccy text, on_day date) RETURNS numeric
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN upper(from_ccy) = upper(to_ccy) THEN 1::numeric ELSE (
    SELECT r.rate FROM exchange_rates r
    WHERE r.organization_id = org AND r.from_currency = upper(from_ccy) AND r.to_currency = upper(to_ccy) AND r.rate_date <= on_day
    ORDER BY r.rate_date DESC LIMIT 1) END
$$;

-- A salesperson's commission rate (%) from a day on; without a plan the rate is 5.00.
CREATE TABLE commission_plans (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  rate numeric(5, 2) NOT NULL DEFAULT 5.00 CHECK (rate >= 0 AND rate <= 100),
  effective_from date NOT NULL,
  created_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, user_id, effective_from)
);
CREATE TRIGGER commission_plans_touch BEFORE UPDATE ON commission_plans FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('commission_plans');

-- One accrual per verified payment, for the deal's owner. A refund or bad debt either marks a
-- not-yet-approved accrual `reversed`, or (once approved or paid) adds a `reversal` row with
-- the negated figures in the period of the write-off, linked both ways.
CREATE TABLE commission_accruals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  user_id bigint NOT NULL REFERENCES users (id),
  payment_id bigint NOT NULL REFERENCES payments (id) ON DELETE RESTRICT,
  deal_id bigint NOT NULL REFERENCES deals (id) ON DELETE RESTRICT,
  kind text NOT NULL DEFAULT 'accrual' CHECK (kind IN ('accrual', 'reversal')),
  amount numeric(16, 2) NOT NULL,
  currency char(3) NOT NULL,
  org_currency char(3) NOT NULL,
  fx_rate numeric(18, 8),
  base numeric(30, 10),
  rate numeric(5, 2) NOT NULL CHECK (rate >= 0 AND rate <= 100),
  commission numeric(16, 2),
  status text NOT NULL CHECK (status IN ('needs_rate', 'pending', 'approved', 'paid', 'reversed')),
  period_date date NOT NULL,
  reverses_id bigint REFERENCES commission_accruals (id),
  reversed_by_id bigint REFERENCES commission_accruals (id),
  reversal_reason text,
  reversed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((fx_rate IS NULL) = (base IS NULL) AND (base IS NULL) = (commission IS NULL)),
  CHECK (status <> 'needs_rate' OR fx_rate IS NULL),
  CHECK (status NOT IN ('pending', 'approved', 'paid') OR fx_rate IS NOT NULL),
  CHECK ((kind = 'reversal') = (reverses_id IS NOT NULL))
);
CREATE UNIQUE INDEX commission_accruals_payment_key ON commission_accruals (payment_id) WHERE kind = 'accrual';
CREATE UNIQUE INDEX commission_accruals_reversal_key ON commission_accruals (reverses_id) WHERE kind = 'reversal';
CREATE INDEX commission_accruals_user_period ON commission_accruals (organization_id, user_id, period_date);
CREATE INDEX commission_accruals_org_period ON commission_accruals (organization_id, period_date);
CREATE INDEX commission_accruals_needs_rate ON commission_accruals (organization_id, currency) WHERE status = 'needs_rate';
CREATE TRIGGER commission_accruals_touch BEFORE UPDATE ON commission_accruals FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('commission_accruals');

-- A statement per (user, period kind, period start): the figures of a run, the adjustments an
-- org admin made (rate override, bonus, penalty, payout currency and rate) and the approval state.
-- The unique key makes runs idempotent per (user, period).
CREATE TABLE commission_statements (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  user_id bigint NOT NULL REFERENCES users (id),
  period_kind text NOT NULL CHECK (period_kind IN ('daily', 'weekly', 'monthly', 'yearly')),
  start_date date NOT NULL,
  end_date date NOT NULL,
  currency char(3) NOT NULL,
  payout_currency char(3) NOT NULL,
  exchange_rate numeric(18, 8) NOT NULL DEFAULT 1 CHECK (exchange_rate > 0),
  rate_override numeric(5, 2) CHECK (rate_override >= 0 AND rate_override <= 100),
  sales_base numeric(30, 10) NOT NULL DEFAULT 0,
  commission numeric(16, 2) NOT NULL DEFAULT 0,
  bonus numeric(16, 2) NOT NULL DEFAULT 0 CHECK (bonus >= 0),
  penalty numeric(16, 2) NOT NULL DEFAULT 0 CHECK (penalty >= 0),
  final_amount numeric(16, 2) NOT NULL DEFAULT 0,
  accrual_count integer NOT NULL DEFAULT 0,
  needs_rate_count integer NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'paid')),
  computed_at timestamptz,
  approved_by bigint REFERENCES users (id),
  approved_at timestamptz,
  paid_by bigint REFERENCES users (id),
  paid_at timestamptz,
  version integer NOT NULL DEFAULT 1,
  created_by bigint REFERENCES users (id),
  updated_by bigint REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, user_id, period_kind, start_date),
  CHECK (end_date >= start_date),
  CHECK (payout_currency <> currency OR exchange_rate = 1)
);
CREATE INDEX commission_statements_org_period ON commission_statements (organization_id, period_kind, start_date);
CREATE TRIGGER commission_statements_touch BEFORE UPDATE ON commission_statements FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('commission_statements');

-- One record per salesperson and day that has deals (by deal_date): verified deals, their value
-- in the organisation's currency, whether the day qualifies, and the run of consecutive
-- qualifying days ending that day.
CREATE TABLE daily_streak_records (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  date date NOT NULL,
  deals_closed integer NOT NULL DEFAULT 0,
  total_value numeric(18, 2) NOT NULL DEFAULT 0,
  qualifying boolean NOT NULL DEFAULT false,
  streak integer NOT NULL DEFAULT 0 CHECK (streak >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, user_id, date)
);
CREATE INDEX daily_streak_records_org_date ON daily_streak_records (organization_id, date);
SELECT app.enable_tenant_rls('daily_streak_records');

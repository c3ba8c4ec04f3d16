-- Sales core: human code sequences, clients, teams, projects, deals, payments, approvals,
-- invoices, the activity feed and idempotency records.

-- Per-organisation counters for human codes (DLID0001, TXN-0001, INV-0001, …). The row lock
-- taken by the upsert serialises concurrent callers, so codes never repeat or skip.
CREATE TABLE code_sequences (
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  last_value bigint NOT NULL,
  PRIMARY KEY (organization_id, name)
);
SELECT app.enable_tenant_rls('code_sequences');

CREATE OR REPLACE FUNCTION app.next_code_value(org bigint, seq text) RETURNS bigint LANGUAGE sql AS $$
  INSERT INTO code_sequences AS c (organization_id, name, last_value) VALUES (org, seq, 1)
  ON CONFLICT (organization_id, name) DO UPDATE SET last_value = c.last_value + 1
  RETURNING last_value
$$;

-- Zero-padded to at least four digits, never truncated (DLID9999 is followed by DLID10000).
CREATE OR REPLACE FUNCTION app.format_code(prefix text, n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT prefix || CASE WHEN n < 10000 THEN lpad(n::text, 4, '0') ELSE n::text END
$$;

CREATE TABLE clients (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  client_name text NOT NULL CHECK (length(trim(client_name)) > 0),
  email text NOT NULL CHECK (email = lower(email)),
  phone_number text NOT NULL DEFAULT '',
  nationality text NOT NULL DEFAULT '',
  address text NOT NULL DEFAULT '',
  remarks text NOT NULL DEFAULT '',
  satisfaction text CHECK (satisfaction IN ('neutral', 'satisfied', 'unsatisfied')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('clear', 'pending', 'bad_debt')),
  client_type text NOT NULL DEFAULT 'individual' CHECK (client_type IN ('individual', 'business')),
  company_name text NOT NULL DEFAULT '',
  website text NOT NULL DEFAULT '',
  tax_id text NOT NULL DEFAULT '',
  contact_person text NOT NULL DEFAULT '',
  created_by bigint NOT NULL REFERENCES users (id),
  updated_by bigint REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX clients_org_email_key ON clients (organization_id, email) WHERE deleted_at IS NULL;
CREATE INDEX clients_org_name ON clients (organization_id, client_name) WHERE deleted_at IS NULL;
CREATE INDEX clients_org_creator ON clients (organization_id, created_by) WHERE deleted_at IS NULL;
CREATE TRIGGER clients_touch BEFORE UPDATE ON clients FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('clients');

CREATE TABLE projects (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  name text NOT NULL CHECK (length(trim(name)) > 0),
  description text NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'planning' CHECK (status IN ('planning', 'in_progress', 'completed', 'on_hold', 'cancelled')),
  start_date date,
  end_date date,
  created_by bigint REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX projects_org ON projects (organization_id, created_at DESC);
CREATE TRIGGER projects_touch BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('projects');

CREATE TABLE teams (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  name text NOT NULL CHECK (length(trim(name)) > 0),
  description text NOT NULL DEFAULT '',
  team_lead_id bigint REFERENCES users (id) ON DELETE SET NULL,
  contact_number text NOT NULL DEFAULT '',
  created_by bigint REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_org_name_key ON teams (organization_id, lower(name));
CREATE TRIGGER teams_touch BEFORE UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('teams');

CREATE TABLE team_members (
  team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (organization_id, user_id);
SELECT app.enable_tenant_rls('team_members');

CREATE TABLE team_projects (
  team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, project_id)
);
SELECT app.enable_tenant_rls('team_projects');

CREATE TABLE deals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  deal_code text NOT NULL,
  client_id bigint NOT NULL REFERENCES clients (id) ON DELETE RESTRICT,
  project_id bigint REFERENCES projects (id) ON DELETE SET NULL,
  deal_name text NOT NULL DEFAULT '',
  deal_value numeric(16, 2) NOT NULL CHECK (deal_value > 0),
  currency char(3) NOT NULL DEFAULT 'USD',
  deal_date date NOT NULL DEFAULT CURRENT_DATE,
  due_date date,
  declared_payment_status text NOT NULL DEFAULT 'initial payment'
    CHECK (declared_payment_status IN ('initial payment', 'partial_payment', 'full_payment')),
  payment_status text NOT NULL DEFAULT 'initial payment'
    CHECK (payment_status IN ('initial payment', 'partial_payment', 'full_payment')),
  payment_method text NOT NULL CHECK (payment_method IN ('wallet', 'bank', 'cheque', 'cash')),
  source_type text NOT NULL DEFAULT 'others' CHECK (source_type IN ('linkedin', 'instagram', 'google', 'referral', 'others')),
  verification_status text NOT NULL DEFAULT 'pending' CHECK (verification_status IN ('pending', 'verified', 'rejected')),
  client_status text NOT NULL DEFAULT 'pending' CHECK (client_status IN ('pending', 'loyal', 'bad_debt', 'clear')),
  deal_remarks text NOT NULL DEFAULT '',
  verified_total numeric(16, 2) NOT NULL DEFAULT 0,
  payment_count integer NOT NULL DEFAULT 0,
  version integer NOT NULL DEFAULT 1,
  approved_by bigint REFERENCES users (id),
  approved_at timestamptz,
  created_by bigint NOT NULL REFERENCES users (id),
  updated_by bigint REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  UNIQUE (organization_id, deal_code),
  CHECK (due_date IS NULL OR due_date >= deal_date)
);
CREATE INDEX deals_org_created ON deals (organization_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX deals_org_creator ON deals (organization_id, created_by, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX deals_org_client ON deals (organization_id, client_id) WHERE deleted_at IS NULL;
CREATE INDEX deals_org_date ON deals (organization_id, deal_date) WHERE deleted_at IS NULL;
CREATE TRIGGER deals_touch BEFORE UPDATE ON deals FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('deals');

CREATE TABLE payments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  deal_id bigint NOT NULL REFERENCES deals (id) ON DELETE RESTRICT,
  transaction_id text NOT NULL,
  payment_date date NOT NULL,
  received_amount numeric(16, 2) NOT NULL CHECK (received_amount > 0),
  payment_method text NOT NULL CHECK (payment_method IN ('wallet', 'bank', 'cheque', 'cash')),
  payment_category text NOT NULL DEFAULT 'partial' CHECK (payment_category IN ('advance', 'partial', 'final')),
  cheque_number text,
  bank_reference text NOT NULL DEFAULT '',
  payment_remarks text NOT NULL DEFAULT '',
  receipt_key text,
  receipt_name text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'rejected', 'refunded', 'bad_debt')),
  verified_amount numeric(16, 2) CHECK (verified_amount IS NULL OR verified_amount >= 0),
  verified_by bigint REFERENCES users (id),
  verified_at timestamptz,
  verification_remarks text NOT NULL DEFAULT '',
  info_requested boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  created_by bigint NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, transaction_id),
  CHECK (verified_amount IS NULL OR verified_amount <= received_amount)
);
CREATE UNIQUE INDEX payments_org_cheque_key ON payments (organization_id, cheque_number) WHERE cheque_number IS NOT NULL;
CREATE INDEX payments_deal ON payments (deal_id, created_at);
CREATE INDEX payments_org_status ON payments (organization_id, status, created_at);
CREATE TRIGGER payments_touch BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('payments');

CREATE TABLE payment_approvals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  payment_id bigint NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
  deal_id bigint NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
  approved_by bigint NOT NULL REFERENCES users (id),
  decision text NOT NULL CHECK (decision IN ('approved', 'rejected', 'requires_info', 'refunded', 'bad_debt')),
  verified_amount numeric(16, 2),
  remarks text NOT NULL DEFAULT '',
  failure_reason text,
  invoice_file_key text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_approvals_payment ON payment_approvals (payment_id, created_at);
CREATE INDEX payment_approvals_org ON payment_approvals (organization_id, created_at DESC);
SELECT app.enable_tenant_rls('payment_approvals');

CREATE TABLE invoices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  invoice_code text NOT NULL,
  payment_id bigint NOT NULL UNIQUE REFERENCES payments (id) ON DELETE CASCADE,
  deal_id bigint NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
  amount numeric(16, 2) NOT NULL,
  tax_amount numeric(16, 2) NOT NULL DEFAULT 0,
  total_amount numeric(16, 2) NOT NULL,
  currency char(3) NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'rejected', 'refunded', 'bad_debt', 'cancelled')),
  invoice_date date NOT NULL DEFAULT CURRENT_DATE,
  due_date date,
  invoice_file_key text,
  remarks text NOT NULL DEFAULT '',
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, invoice_code)
);
CREATE INDEX invoices_org_status ON invoices (organization_id, status, created_at DESC);
CREATE TRIGGER invoices_touch BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('invoices');

-- The human-readable history of a deal (and of a client), shown in the UI.
CREATE TABLE activity_logs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  deal_id bigint REFERENCES deals (id) ON DELETE CASCADE,
  client_id bigint REFERENCES clients (id) ON DELETE CASCADE,
  user_id bigint REFERENCES users (id) ON DELETE SET NULL,
  action text NOT NULL,
  description text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activity_logs_deal ON activity_logs (deal_id, created_at DESC);
CREATE INDEX activity_logs_client ON activity_logs (client_id, created_at DESC);
SELECT app.enable_tenant_rls('activity_logs');

-- Stored first responses of requests that carried an Idempotency-Key.
CREATE TABLE idempotency_keys (
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL DEFAULT 'in_flight' CHECK (state IN ('in_flight', 'done')),
  response_status integer,
  response_body text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id, key)
);
SELECT app.enable_tenant_rls('idempotency_keys');

ALTER TABLE users ADD CONSTRAINT users_team_fk FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL;

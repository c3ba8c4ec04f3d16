-- Platform foundation: application roles, tenant-context functions, the row-level security
-- helper every tenant table uses, organisations and the append-only audit log.

-- Roles are cluster-wide; several databases (tests, tenants of one cluster) share them.
DO $$
BEGIN
  BEGIN CREATE ROLE prs_app NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  BEGIN CREATE ROLE prs_system NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  -- A non-superuser connection user must be able to SET ROLE to both.
  BEGIN EXECUTE format('GRANT prs_app, prs_system TO %I', current_user);
  EXCEPTION WHEN OTHERS THEN NULL; END;
END $$;

CREATE SCHEMA IF NOT EXISTS app;
GRANT USAGE ON SCHEMA app TO prs_app, prs_system;
GRANT USAGE ON SCHEMA public TO prs_app, prs_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO prs_app, prs_system;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO prs_app, prs_system;
GRANT SELECT ON prs_migrations TO prs_system;

CREATE OR REPLACE FUNCTION app.current_org_id() RETURNS bigint
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.organization_id', true), '')::bigint $$;

CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS bigint
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::bigint $$;

-- Makes a table tenant-scoped: prs_app sees and writes only rows of the organisation in the
-- transaction's context; prs_system sees everything; any other role (including the owner,
-- because of FORCE) sees nothing. Call it once for every table with organization_id.
CREATE OR REPLACE FUNCTION app.enable_tenant_rls(tbl regclass, org_column text DEFAULT 'organization_id')
  RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
  EXECUTE format('DROP POLICY IF EXISTS system_access ON %s', tbl);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s TO prs_app USING (%I = app.current_org_id()) WITH CHECK (%I = app.current_org_id())',
    tbl, org_column, org_column);
  EXECUTE format('CREATE POLICY system_access ON %s TO prs_system USING (true) WITH CHECK (true)', tbl);
END $$;

-- Keeps updated_at honest without every UPDATE statement having to remember it.
CREATE OR REPLACE FUNCTION app.touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TABLE organizations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  contact_email text NOT NULL DEFAULT '',
  contact_number text NOT NULL DEFAULT '',
  address text NOT NULL DEFAULT '',
  sales_goal numeric(16, 2) NOT NULL DEFAULT 0 CHECK (sales_goal >= 0),
  currency char(3) NOT NULL DEFAULT 'USD',
  time_zone text NOT NULL DEFAULT 'UTC',
  is_active boolean NOT NULL DEFAULT true,
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));
CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('organizations', 'id');

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint REFERENCES organizations (id) ON DELETE SET NULL,
  actor_id bigint,
  entity text NOT NULL,
  entity_id text,
  action text NOT NULL,
  old_values jsonb,
  new_values jsonb,
  ip text,
  user_agent text,
  request_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org_time ON audit_log (organization_id, created_at DESC, id DESC);
CREATE INDEX audit_log_entity ON audit_log (organization_id, entity, entity_id);
SELECT app.enable_tenant_rls('audit_log');

-- The audit log is append-only: the database itself refuses changes, whoever asks.
-- (Deleting an organisation nulls its rows' organization_id through the foreign key; that one
-- update is allowed so that history outlives the tenant.)
CREATE OR REPLACE FUNCTION app.audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF OLD.organization_id IS NOT NULL AND NEW.organization_id IS NULL
       AND (to_jsonb(OLD) - 'organization_id') = (to_jsonb(NEW) - 'organization_id') THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION app.audit_log_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION app.audit_log_immutable();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM prs_app, prs_system;

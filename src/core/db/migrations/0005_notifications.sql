-- Notifications (per recipient, with settings and templates), short-lived WebSocket tokens, the
-- durable background-job queue, and e-mail delivery state on the outbox of 0002.

CREATE TABLE notifications (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recipient_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- NULL for platform notifications (e.g. a new organisation, addressed to Super Admins).
  organization_id bigint REFERENCES organizations (id) ON DELETE CASCADE,
  notification_type text NOT NULL CHECK (notification_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  priority text NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  category text NOT NULL DEFAULT 'business' CHECK (length(category) BETWEEN 1 AND 64),
  title text NOT NULL,
  message text NOT NULL DEFAULT '',
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  action_url text,
  related_object_type text,
  related_object_id text,
  -- Makes a trigger idempotent per recipient (reminders: once per payment and day).
  dedupe_key text,
  is_read boolean NOT NULL DEFAULT false,
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_recipient_time ON notifications (recipient_id, created_at DESC, id DESC);
CREATE INDEX notifications_recipient_unread ON notifications (recipient_id, created_at DESC) WHERE NOT is_read;
CREATE INDEX notifications_org_time ON notifications (organization_id, created_at DESC);
CREATE UNIQUE INDEX notifications_dedupe_key ON notifications (recipient_id, dedupe_key);
CREATE TRIGGER notifications_touch BEFORE UPDATE ON notifications FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
SELECT app.enable_tenant_rls('notifications');
-- A user always sees their own notifications, whichever organisation (or none) they belong to;
-- permissive policies add up, so this widens tenant_isolation only to the recipient's own rows.
CREATE POLICY own_notifications ON notifications TO prs_app
  USING (recipient_id = app.current_user_id()) WITH CHECK (recipient_id = app.current_user_id());

-- One row per user (created on first change; absent means the defaults).
CREATE TABLE notification_settings (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  enable_client_notifications boolean NOT NULL DEFAULT true,
  enable_deal_notifications boolean NOT NULL DEFAULT true,
  enable_user_management_notifications boolean NOT NULL DEFAULT true,
  enable_team_notifications boolean NOT NULL DEFAULT true,
  enable_project_notifications boolean NOT NULL DEFAULT true,
  enable_commission_notifications boolean NOT NULL DEFAULT true,
  enable_system_notifications boolean NOT NULL DEFAULT true,
  disabled_types text[] NOT NULL DEFAULT '{}',
  min_priority text NOT NULL DEFAULT 'low' CHECK (min_priority IN ('low', 'medium', 'high', 'urgent')),
  email_enabled boolean NOT NULL DEFAULT true,
  email_min_priority text NOT NULL DEFAULT 'high' CHECK (email_min_priority IN ('low', 'medium', 'high', 'urgent')),
  marketing_emails boolean NOT NULL DEFAULT false,
  sound_enabled boolean NOT NULL DEFAULT true,
  desktop_notification boolean NOT NULL DEFAULT true,
  unread_notification_badge boolean NOT NULL DEFAULT false,
  notification_timeout text NOT NULL DEFAULT 'select',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER notification_settings_touch BEFORE UPDATE ON notification_settings FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
ALTER TABLE notification_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_settings FORCE ROW LEVEL SECURITY;
-- Read: own settings, or those of the organisation's members (a notification being created for
-- them must respect them). Write: only one's own.
CREATE POLICY member_settings ON notification_settings TO prs_app
  USING (user_id = app.current_user_id() OR EXISTS (
    SELECT 1 FROM memberships m WHERE m.user_id = notification_settings.user_id AND m.organization_id = app.current_org_id()))
  WITH CHECK (user_id = app.current_user_id());
CREATE POLICY system_access ON notification_settings TO prs_system USING (true) WITH CHECK (true);

-- Per organisation, or global (organization_id NULL, managed by Super Admins). Title and
-- message use {{variable}} placeholders.
CREATE TABLE notification_templates (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id bigint REFERENCES organizations (id) ON DELETE CASCADE,
  notification_type text NOT NULL CHECK (notification_type ~ '^[a-z][a-z0-9_]{0,63}$'),
  name text NOT NULL DEFAULT '',
  title_template text NOT NULL CHECK (length(trim(title_template)) > 0),
  message_template text NOT NULL DEFAULT '',
  available_variables text[] NOT NULL DEFAULT '{}',
  is_active boolean NOT NULL DEFAULT true,
  created_by bigint REFERENCES users (id) ON DELETE SET NULL,
  updated_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX notification_templates_type_key
  ON notification_templates (COALESCE(organization_id, 0::bigint), notification_type);
CREATE TRIGGER notification_templates_touch BEFORE UPDATE ON notification_templates FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();
ALTER TABLE notification_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_templates ON notification_templates TO prs_app
  USING (organization_id IS NULL OR organization_id = app.current_org_id())
  WITH CHECK (organization_id = app.current_org_id());
CREATE POLICY system_access ON notification_templates TO prs_system USING (true) WITH CHECK (true);

-- Single-use tokens for opening /ws/notifications/ (stored hashed, valid for seconds).
CREATE TABLE ws_tokens (
  token_hash text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id bigint NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ws_tokens_expiry ON ws_tokens (expires_at);
ALTER TABLE ws_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE ws_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY own_tokens ON ws_tokens TO prs_app USING (user_id = app.current_user_id()) WITH CHECK (user_id = app.current_user_id());
CREATE POLICY system_access ON ws_tokens TO prs_system USING (true) WITH CHECK (true);

-- Durable background work. A runner claims due rows (FOR UPDATE SKIP LOCKED) with a lease in
-- locked_until; a crashed runner's lease runs out and another one takes the job over.
CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.:-]{0,63}$'),
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  organization_id bigint REFERENCES organizations (id) ON DELETE CASCADE,
  -- At most one pending job per key (recurring jobs, "once per payment and day").
  dedupe_key text,
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
  locked_until timestamptz,
  locked_by text,
  done_at timestamptz,
  failed_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL AND failed_at IS NULL;
CREATE UNIQUE INDEX jobs_pending_dedupe ON jobs (dedupe_key) WHERE done_at IS NULL AND failed_at IS NULL;
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
-- Requests may enqueue work for their own organisation; only the runner (system) reads jobs.
CREATE POLICY tenant_enqueue ON jobs FOR INSERT TO prs_app
  WITH CHECK (organization_id IS NULL OR organization_id = app.current_org_id());
CREATE POLICY system_access ON jobs TO prs_system USING (true) WITH CHECK (true);

-- E-mail delivery state. sent_at is set in the same transaction that claims a message for
-- sending, so a message is never sent twice; 'sending' that never becomes 'sent' means the
-- process died during delivery and an administrator decides.
ALTER TABLE email_outbox
  ADD COLUMN status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
  ADD COLUMN last_error text,
  ADD COLUMN notification_id bigint REFERENCES notifications (id) ON DELETE SET NULL,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
UPDATE email_outbox SET status = 'sent' WHERE sent_at IS NOT NULL;
CREATE INDEX email_outbox_org_time ON email_outbox (organization_id, created_at DESC);

-- Every queued message gets a delivery job, whoever queued it (users, organisations, notifications).
CREATE OR REPLACE FUNCTION app.enqueue_email_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO jobs (kind, payload, organization_id) VALUES ('send_email', jsonb_build_object('outbox_id', NEW.id), NEW.organization_id);
  RETURN NEW;
END $$;
CREATE TRIGGER email_outbox_enqueue AFTER INSERT ON email_outbox FOR EACH ROW EXECUTE FUNCTION app.enqueue_email_delivery();

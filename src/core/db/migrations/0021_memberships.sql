-- One person, several organisations (issue 14). A membership gains what the CRM's
-- UserOrganization had: a membership role (owner/admin/member), an invitation state, who invited
-- and who accepted, and the facts that belong to one organisation's view of the person (the
-- sales target). An organisation keeps exactly one owner. Users become editable only by the
-- organisation that alone holds them; notifications of other organisations stay out of sight.

ALTER TABLE memberships
  ADD COLUMN membership_role text NOT NULL DEFAULT 'member' CHECK (membership_role IN ('owner', 'admin', 'member')),
  ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active')),
  ADD COLUMN invited_by bigint REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN invited_email text,
  ADD COLUMN invited_at timestamptz,
  ADD COLUMN accepted_at timestamptz,
  ADD COLUMN accepted_by bigint REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN left_at timestamptz,
  ADD COLUMN deactivated_by bigint REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN sales_target numeric(16, 2) NOT NULL DEFAULT 0 CHECK (sales_target >= 0),
  -- An invitation not yet accepted never acts: every query that filters on is_active ignores it.
  ADD CONSTRAINT memberships_pending_inactive CHECK (status = 'active' OR NOT is_active);
CREATE UNIQUE INDEX memberships_one_owner ON memberships (organization_id) WHERE membership_role = 'owner';
CREATE INDEX memberships_invited ON memberships (user_id) WHERE status = 'pending';

ALTER TABLE users ADD COLUMN last_organization_id bigint REFERENCES organizations (id) ON DELETE SET NULL;
ALTER TABLE ws_tokens ADD COLUMN organization_id bigint REFERENCES organizations (id) ON DELETE CASCADE;

-- An organisation that has an owner keeps one: demoting or removing the owner must, in the same
-- transaction, give the organisation another (a transfer demotes then promotes). Deleting the
-- organisation itself cascades past the check.
CREATE OR REPLACE FUNCTION app.memberships_keep_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM organizations WHERE id = OLD.organization_id)
     AND NOT EXISTS (SELECT 1 FROM memberships WHERE organization_id = OLD.organization_id AND membership_role = 'owner') THEN
    RAISE EXCEPTION 'organisation % would have no owner', OLD.organization_id USING ERRCODE = 'check_violation', CONSTRAINT = 'memberships_keep_owner';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER memberships_keep_owner AFTER UPDATE OR DELETE ON memberships
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.membership_role = 'owner') EXECUTE FUNCTION app.memberships_keep_owner();

-- Backfill, in system scope (memberships and users are under row-level security).
SET LOCAL ROLE prs_system;
UPDATE memberships m SET sales_target = u.sales_target FROM users u WHERE u.id = m.user_id;
UPDATE memberships SET accepted_at = created_at;
-- The owner: the earliest active holder of the default Org Admin role; other Org Admins are admins.
UPDATE memberships m SET membership_role = 'admin'
  FROM roles r WHERE r.id = m.role_id AND r.is_default AND r.name = 'Org Admin';
UPDATE memberships m SET membership_role = 'owner'
  FROM (SELECT DISTINCT ON (m2.organization_id) m2.id
          FROM memberships m2 JOIN roles r ON r.id = m2.role_id
         WHERE r.is_default AND r.name = 'Org Admin' AND m2.is_active
         ORDER BY m2.organization_id, m2.created_at, m2.id) first_admin
  WHERE m.id = first_admin.id;
UPDATE users u SET last_organization_id = s.organization_id
  FROM (SELECT DISTINCT ON (user_id) user_id, organization_id FROM auth_sessions
         WHERE organization_id IS NOT NULL ORDER BY user_id, created_at DESC, id DESC) s
  WHERE s.user_id = u.id;
RESET ROLE;

-- Whether the current organisation alone holds this person (a membership of any status here and
-- none anywhere else). Security definer, owned by prs_system: the caller's row-level security
-- hides other organisations' memberships, which are exactly what this must count.
GRANT CREATE ON SCHEMA app TO prs_system;
CREATE OR REPLACE FUNCTION app.identity_owned_by_current_org(uid bigint) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, app AS $$
  SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = uid AND organization_id = app.current_org_id())
     AND NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = uid AND organization_id IS DISTINCT FROM app.current_org_id())
$$;
ALTER FUNCTION app.identity_owned_by_current_org(bigint) OWNER TO prs_system;
REVOKE ALL ON FUNCTION app.identity_owned_by_current_org(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.identity_owned_by_current_org(bigint) TO prs_app, prs_system;

-- Users: an organisation reads its accepted members (and everyone reads themself); it writes a
-- person only when it alone holds them. New users are created in system scope.
DROP POLICY tenant_isolation ON users;
CREATE POLICY users_read ON users FOR SELECT TO prs_app
  USING (id = app.current_user_id() OR EXISTS (
    SELECT 1 FROM memberships m
     WHERE m.user_id = users.id AND m.organization_id = app.current_org_id() AND m.status = 'active'));
CREATE POLICY users_write ON users FOR UPDATE TO prs_app
  USING (id = app.current_user_id() OR app.identity_owned_by_current_org(id))
  WITH CHECK (id = app.current_user_id() OR app.identity_owned_by_current_org(id));

-- Notifications: the recipient's own rows outside any organisation (platform notices,
-- invitations); rows of an organisation only through tenant_isolation, i.e. the active one.
DROP POLICY own_notifications ON notifications;
CREATE POLICY own_notifications ON notifications TO prs_app
  USING (recipient_id = app.current_user_id() AND organization_id IS NULL)
  WITH CHECK (recipient_id = app.current_user_id() AND organization_id IS NULL);

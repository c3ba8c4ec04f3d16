-- Setting a sales target is a manager's act (issue 13, defect 6): a new permission
-- `users:set_sales_target`, granted in every existing organisation to the default roles that
-- manage people (Org Admin, Supervisor, Team Lead), as new organisations get it from the catalogue.
-- The permission row is created here too, since startup's catalogue sync runs after migrations.
INSERT INTO permissions (code, name, category) VALUES ('users:set_sales_target', 'Set sales targets', 'Users')
  ON CONFLICT (code) DO NOTHING;

SET LOCAL ROLE prs_system;
INSERT INTO role_permissions (role_id, permission_id, organization_id)
  SELECT r.id, p.id, r.organization_id FROM roles r, permissions p
  WHERE r.is_default AND r.name IN ('Org Admin', 'Supervisor', 'Team Lead') AND p.code = 'users:set_sales_target'
  ON CONFLICT DO NOTHING;
RESET ROLE;

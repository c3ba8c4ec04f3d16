-- The verifier queue (src/modules/verification/repo.ts) leaves out payments of soft-deleted
-- deals. It counts the queue, and reads its oldest slice, from payments alone and looks the
-- deleted deals up here: a handful of rows, where the deals' primary key would be probed once
-- per waiting payment. See docs/performance.md.
CREATE INDEX IF NOT EXISTS deals_org_deleted ON deals (organization_id, id) WHERE deleted_at IS NOT NULL;

-- Indexes found by the load benchmark (docs/performance.md).
--
-- Deal lists filtered by verification or payment status, newest first: the page's ids come
-- straight from the index in order (no sort of the organisation's whole history), and the
-- count is an index-only scan. Without them a deep page of an organisation with 100,000 deals
-- sorted ~96,000 rows on disk per request.
CREATE INDEX IF NOT EXISTS deals_org_verification_created
  ON deals (organization_id, verification_status, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX IF NOT EXISTS deals_org_payment_status_created
  ON deals (organization_id, payment_status, created_at DESC, id DESC) WHERE deleted_at IS NULL;

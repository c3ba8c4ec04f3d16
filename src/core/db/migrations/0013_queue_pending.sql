-- The verifier queue (src/modules/verification/repo.ts) reads each priority slice oldest first
-- and stops at the page's end. On (organization_id, status, created_at) the order is only
-- presorted by created_at (ties on id need a sort), so under row-level security, where the
-- policy on deals makes the planner expect ~10x fewer rows from the deal join, it chose to join
-- and sort every recent waiting payment (~65 ms) instead of stopping after 25. This partial
-- index gives the page's exact order (created_at, id), so the stopping plan wins whatever the
-- estimate, and carries what the queue reads of a payment before the page (deal, info flag)
-- for index-only scans. Only waiting payments are in it: a few percent of the table.
CREATE INDEX IF NOT EXISTS payments_pending_queue ON payments (organization_id, created_at, id)
  INCLUDE (deal_id, info_requested) WHERE status = 'pending';

-- Midnight streak roll-over (src/modules/streaks/rollover.ts). One row per organisation and
-- local day that has been finalised: written in the transaction that finalises the day, so the
-- primary key is what makes a repeated or concurrent run of the same day a no-op, whatever the
-- jobs table says (its dedupe key only covers jobs still pending).
CREATE TABLE streak_rollovers (
  organization_id bigint NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  date date NOT NULL,
  finalised_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, date)
);
SELECT app.enable_tenant_rls('streak_rollovers');

-- The sweep skips days whose roll-over job failed for good (left to an operator) instead of
-- enqueueing them again every quarter hour; failed jobs are few, so the index stays small.
CREATE INDEX jobs_failed_dedupe ON jobs (dedupe_key) WHERE failed_at IS NOT NULL AND dedupe_key IS NOT NULL;

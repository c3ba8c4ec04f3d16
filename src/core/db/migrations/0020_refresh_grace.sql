-- The pair a refresh token was rotated into, sealed with the server's secret box (AES-256-GCM,
-- never in clear), so that the same token presented again within the grace window (two tabs
-- refreshing at once) answers that same pair instead of revoking the session (issue 13, defect 10).
-- Cleared once the window has passed.
ALTER TABLE refresh_tokens ADD COLUMN replacement text;

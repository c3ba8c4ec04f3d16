-- Which notifications have reached one of the recipient's live sockets (pushed_at), so that a
-- new connection's catch-up sends only what no socket of that user has been pushed.
--
-- Why: the web client opens several sockets within a second; when every connect replayed all
-- unread notifications, each showed up once per socket (13 toasts at once). A connect now claims
-- the unpushed rows with one UPDATE … RETURNING, so of simultaneous connects only one gets each.
-- Rows from before this migration start unpushed: the first connect delivers them once.
ALTER TABLE notifications ADD COLUMN pushed_at timestamptz;

-- What a connect claims: the recipient's unread, unpushed rows (few; most leave at once).
CREATE INDEX notifications_recipient_unpushed ON notifications (recipient_id) WHERE pushed_at IS NULL AND NOT is_read;

-- Delivery bookkeeping is not a change of the notification: it leaves updated_at alone.
DROP TRIGGER IF EXISTS notifications_touch ON notifications;
CREATE TRIGGER notifications_touch BEFORE UPDATE ON notifications FOR EACH ROW
  WHEN (OLD.pushed_at IS NOT DISTINCT FROM NEW.pushed_at) EXECUTE FUNCTION app.touch_updated_at();

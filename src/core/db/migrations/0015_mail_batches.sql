-- One delivery job per statement that queues e-mails, not one per message.
--
-- Why: a payment notifies every verifier of the organisation; with a job per message, the job
-- runner claimed, ran and closed six jobs (six transactions each way) for one payment, and the
-- benchmark's create-payment route spent most of its database time on them. Now the rows one
-- INSERT queues are delivered by one `send_email` job ({"outbox_ids": [...]}) per organisation.
-- Jobs queued before this migration keep their {"outbox_id": ...} form; the handler takes both.
DROP TRIGGER email_outbox_enqueue ON email_outbox;

CREATE OR REPLACE FUNCTION app.enqueue_email_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO jobs (kind, payload, organization_id)
  SELECT 'send_email', jsonb_build_object('outbox_ids', jsonb_agg(q.id ORDER BY q.id)), q.organization_id
  FROM queued q GROUP BY q.organization_id;
  RETURN NULL;
END $$;

CREATE TRIGGER email_outbox_enqueue AFTER INSERT ON email_outbox
  REFERENCING NEW TABLE AS queued FOR EACH STATEMENT EXECUTE FUNCTION app.enqueue_email_batch();

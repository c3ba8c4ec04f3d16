-- The write floor of the benchmark: the rows PRS writes for one payment, written by one
-- function call (one round trip, one transaction) as the owner, with no authentication,
-- validation, row-level security, application code or framework. The same tables, indexes,
-- constraints and triggers (dashboard aggregates, the mail job) as PRS's own writes.
-- What it leaves out makes it a lower bound of the work, not an equal: recipients' settings and
-- templates, the e-mail runner's work after commit, the live push.
CREATE SCHEMA IF NOT EXISTS bench_floor;
-- Codes from a sequence (FLR-…, apart from PRS's TXN-/INV- codes): no counter row to wait for,
-- the cheapest unique number PostgreSQL has.
CREATE SEQUENCE IF NOT EXISTS bench_floor.code_numbers;
-- Ids are bigint identity keys; drop the function of a database set up while they were UUIDs, so
-- that no second overload makes the call ambiguous.
DROP FUNCTION IF EXISTS bench_floor.record_payment(uuid, uuid, text, text, date, numeric, text, text);

CREATE OR REPLACE FUNCTION bench_floor.record_payment(
  org bigint, actor bigint, idem_key text, deal_ref text, paid_on date, amount numeric, method text, remarks text
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  d deals;
  txn text;
  inv text;
  pid bigint;
  received numeric;
  response text;
BEGIN
  -- Idempotency claim (a replay or an in-flight key would end here).
  INSERT INTO idempotency_keys (organization_id, user_id, key, method, path, request_hash)
  VALUES (org, actor, idem_key, 'POST', '/payments/', md5(deal_ref || amount::text || paid_on::text));

  SELECT * INTO d FROM deals WHERE organization_id = org AND deal_code = deal_ref AND deleted_at IS NULL FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'deal % not found', deal_ref; END IF;
  SELECT COALESCE(sum(received_amount), 0) INTO received FROM payments WHERE deal_id = d.id AND status NOT IN ('rejected', 'refunded');
  IF received + amount > d.deal_value THEN RAISE EXCEPTION 'the payments exceed the deal value'; END IF;

  txn := 'FLR-' || nextval('bench_floor.code_numbers');
  inv := 'FLR-' || nextval('bench_floor.code_numbers');

  INSERT INTO payments (organization_id, deal_id, transaction_id, payment_date, received_amount, payment_method, payment_category,
    cheque_number, bank_reference, payment_remarks, receipt_key, receipt_name, created_by)
  VALUES (org, d.id, txn, paid_on, amount, method, 'partial', NULL, '', remarks, NULL, NULL, actor)
  RETURNING id INTO pid;

  INSERT INTO invoices (organization_id, invoice_code, payment_id, deal_id, amount, tax_amount, total_amount, currency, due_date)
  VALUES (org, inv, pid, d.id, amount, 0, amount, d.currency, d.due_date);

  INSERT INTO activity_logs (organization_id, deal_id, client_id, user_id, action, description, metadata)
  VALUES (org, d.id, NULL, actor, 'payment_recorded', format('Payment %s of %s %s received via %s.', txn, amount, d.currency, method),
          jsonb_build_object('payment_id', pid, 'transaction_id', txn));

  INSERT INTO audit_log (organization_id, actor_id, entity, entity_id, action, old_values, new_values, ip, user_agent, request_id)
  VALUES (org, actor, 'payment', pid, 'create', NULL,
          jsonb_build_object('transaction_id', txn, 'deal', d.deal_code, 'received_amount', amount, 'payment_date', paid_on, 'invoice', inv),
          '127.0.0.1', 'bench', 'floor');

  -- One notification per verifier of the organisation, each with its e-mail (the mail job comes
  -- from the outbox's own trigger).
  WITH verifiers AS (
    SELECT DISTINCT u.id, u.email FROM memberships m
    JOIN role_permissions rp ON rp.role_id = m.role_id
    JOIN permissions p ON p.id = rp.permission_id AND p.code = 'payments:verify'
    JOIN users u ON u.id = m.user_id AND u.is_active
    WHERE m.organization_id = org AND m.is_active AND u.id <> actor),
  n AS (
    INSERT INTO notifications (recipient_id, organization_id, notification_type, priority, category, title, message, data,
      action_url, related_object_type, related_object_id)
    SELECT v.id, org, 'payment_received', 'high', 'business', format('Payment received: %s %s', amount, d.currency),
      format('Recorded payment %s of %s %s (%s) on deal %s. It is waiting for verification.', txn, amount, d.currency, method, d.deal_code),
      jsonb_build_object('payment_id', pid, 'transaction_id', txn, 'amount', amount, 'currency', d.currency, 'deal_id', d.id, 'deal_code', d.deal_code),
      '/verifier/verifier-form/' || pid, 'payment', pid
    FROM verifiers v
    RETURNING id, organization_id, recipient_id, title, message, action_url)
  INSERT INTO email_outbox (organization_id, recipient, subject, body, notification_id)
  SELECT n.organization_id, v.email, n.title, n.message || E'\nOpen: ' || n.action_url, n.id
  FROM n JOIN verifiers v ON v.id = n.recipient_id;

  -- The deal's derived figures, as PRS's refreshDealMoney computes them.
  WITH money AS (
    SELECT COALESCE(sum(p.verified_amount) FILTER (WHERE p.status = 'verified'), 0) AS verified_total, count(*) AS payment_count,
           count(*) FILTER (WHERE p.status = 'verified') AS verified_count, count(*) FILTER (WHERE p.status = 'rejected') AS rejected_count
    FROM payments p WHERE p.deal_id = d.id)
  UPDATE deals x SET verified_total = money.verified_total, payment_count = money.payment_count,
    payment_status = CASE WHEN money.verified_total >= x.deal_value THEN 'full_payment' WHEN money.verified_total > 0 THEN 'partial_payment' ELSE x.declared_payment_status END,
    verification_status = CASE WHEN money.verified_count > 0 OR x.approved_at IS NOT NULL THEN 'verified'
      WHEN money.payment_count > 0 AND money.rejected_count = money.payment_count THEN 'rejected' ELSE 'pending' END
  FROM money WHERE x.id = d.id;

  SELECT json_build_object('id', p.id, 'transaction_id', p.transaction_id, 'deal_id', d.deal_code, 'payment_date', p.payment_date,
    'received_amount', p.received_amount::text, 'payment_method', p.payment_method, 'status', p.status, 'invoice', inv, 'created_at', p.created_at)::text
  INTO response FROM payments p WHERE p.id = pid;

  UPDATE idempotency_keys SET state = 'done', response_status = 201, response_body = response
  WHERE organization_id = org AND user_id = actor AND key = idem_key;
  RETURN response;
END $$;

// Commission test helpers: deals with payments verified (or written off) through the real routes.
import { expect } from 'vitest';
import { rows, sql } from '../../src/core/db/database.ts';
import type { TestApp } from '../support/app.ts';
import { auth, type TestOrg, type TestUser } from '../support/identity.ts';
import { createClient, createDeal, today } from '../support/sales.ts';

export function commissionHarness(t: TestApp) {
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token?: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const res = await t.app.inject({
      method,
      url,
      headers: { ...(token ? auth(token) : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });
    expect(res.statusCode, `${method} ${url} → ${res.statusCode}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
    return res;
  };
  const q = <T>(query: ReturnType<typeof sql>) => t.db.system((tx) => rows<T>(tx, query));

  /** A deal of `seller` with one payment of `amount`, verified by the org's verifier. Returns the payment id. */
  const verifiedPayment = async (org: TestOrg, seller: TestUser, currency: string, amount: string, dealValue = '100000.00') => {
    const client = await createClient(t, seller.token);
    const deal = await createDeal(t, seller.token, client.id, { currency, deal_value: dealValue, payments: [{ payment_date: today(), received_amount: amount }] });
    const paymentId = deal.payments[0]!.id;
    const res = await call('POST', `/api/verifier/verify/${paymentId}/`, org.users.verifier.token, { status: 'approved', verified_amount: amount });
    expect(res.statusCode, res.body).toBe(200);
    return { paymentId, dealId: deal.id };
  };

  const refund = async (org: TestOrg, paymentId: string, kind: 'refund' | 'bad-debt' = 'refund') => {
    const res = await call('POST', `/api/payments/${paymentId}/${kind}/`, org.users.verifier.token, { reason: 'Client cancelled' });
    expect(res.statusCode, res.body).toBe(200);
  };

  const accrualOf = async (paymentId: string) =>
    (
      await q<{ id: string; status: string; fx_rate: string | null; base: string | null; commission: string | null; rate: string; period_date: string; reversed_by_id: string | null }>(
        sql`SELECT id, status, fx_rate::text AS fx_rate, base::text AS base, commission::text AS commission, rate::text AS rate,
                   to_char(period_date, 'YYYY-MM-DD') AS period_date, reversed_by_id
            FROM commission_accruals WHERE payment_id = ${paymentId} AND kind = 'accrual'`,
      )
    )[0];

  return { call, q, verifiedPayment, refund, accrualOf };
}

export const yesterday = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

// Sales fixtures: clients and deals created through the real routes.
import { randomBytes } from 'node:crypto';
import type { TestApp } from './app.ts';
import { auth } from './identity.ts';

export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 7)]);

export async function createClient(t: TestApp, token: string, overrides: Record<string, unknown> = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/clients/',
    headers: auth(token),
    payload: { client_name: 'Acme Traders', email: `client-${randomBytes(4).toString('hex')}@example.test`, phone_number: '+9779812345678', nationality: 'Nepalese', ...overrides },
  });
  if (res.statusCode !== 201) throw new Error(`client create failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; client_name: string };
}

export const today = () => new Date().toISOString().slice(0, 10);

export async function createDeal(t: TestApp, token: string, clientId: string, overrides: Record<string, unknown> = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/deals/',
    headers: auth(token),
    payload: { client_id: clientId, deal_name: 'Website build', deal_value: '5000.00', currency: 'USD', deal_date: today(), payment_method: 'bank', source_type: 'referral', ...overrides },
  });
  if (res.statusCode !== 201) throw new Error(`deal create failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; deal_id: string; payments: { id: string }[]; version: number };
}

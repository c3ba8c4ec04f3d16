// Demo sales data for the demo organisation: clients, deals and payments in every state, made
// through the same use cases as the API so that codes, invoices, activity and audit agree.
import type { Tx } from '../core/db/database.ts';
import type { Actor } from '../core/http/auth.ts';
import type { ServiceContext } from '../core/http/context.ts';
import type { FileStorage } from '../core/files/storage.ts';
import { UploadBatch } from '../core/files/uploads.ts';
import { DEFAULT_ROLES, ROLE_NAMES } from '../core/access/catalog.ts';
import { createDeal } from '../sales/deals/service.ts';
import { decidePayment, writeOffPayment } from '../sales/verification/service.ts';
import { rows, sql } from '../core/db/database.ts';

const DEMO_RECEIPT = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

function actorFor(orgId: string, user: { id: string; email: string }, role: string): Actor {
  return {
    userId: user.id,
    sessionId: '0',
    email: user.email,
    firstName: '',
    lastName: '',
    isSuperuser: false,
    orgId,
    orgName: null,
    sessionOrgId: orgId,
    membershipRole: null,
    roleId: null,
    roleName: role,
    permissions: new Set(DEFAULT_ROLES.find((r) => r.name === role)?.permissions ?? []),
  };
}

const daysAgo = (n: number) => new Date(Date.now() - n * 86400_000).toISOString().slice(0, 10);

const CLIENTS = [
  ['Everest Imports', 'Nepalese'], ['Lumbini Textiles', 'Nepalese'], ['Harbour & Co', 'British'], ['Sakura Design', 'Japanese'],
  ['Andes Coffee', 'Peruvian'], ['Nordic Timber', 'Norwegian'], ['Sahara Solar', 'Moroccan'], ['Blue Lagoon Travel', 'Icelandic'],
] as const;

export async function seedSalesDemo(tx: Tx, files: FileStorage, orgId: string, users: Map<string, { id: string; email: string }>) {
  const sales = actorFor(orgId, users.get(ROLE_NAMES.salesperson)!, ROLE_NAMES.salesperson);
  const lead = actorFor(orgId, users.get(ROLE_NAMES.teamLead)!, ROLE_NAMES.teamLead);
  const verifier = actorFor(orgId, users.get(ROLE_NAMES.verifier)!, ROLE_NAMES.verifier);
  const meta = { ip: '127.0.0.1', userAgent: 'prs-demo-seed', requestId: 'demo-seed' };
  const ctx = (actor: Actor): ServiceContext & { actor: Actor } => ({ orgId, actor, tx, meta });
  const uploads = new UploadBatch(files);

  // Rates recorded before the oldest demo deal, so commission converts every demo payment.
  for (const [from, rate] of [['NPR', '0.00750000'], ['GBP', '1.27000000'], ['EUR', '1.09000000']] as const) {
    await tx.execute(sql`INSERT INTO exchange_rates (organization_id, rate_date, from_currency, to_currency, rate) VALUES (${orgId}, ${daysAgo(60)}, ${from}, 'USD', ${rate})`);
  }

  const clientIds: string[] = [];
  for (const [i, [name, nationality]] of CLIENTS.entries()) {
    const owner = i % 3 === 2 ? lead : sales;
    const [row] = await rows<{ id: string }>(
      tx,
      sql`INSERT INTO clients (organization_id, client_name, email, phone_number, nationality, created_by, satisfaction)
          VALUES (${orgId}, ${name}, ${`${name.toLowerCase().replace(/[^a-z]+/g, '.')}@clients.demo.test`}, ${`+97798${String(10000000 + i * 7919).slice(0, 8)}`},
                  ${nationality}, ${owner.userId}, ${['satisfied', 'neutral', 'unsatisfied'][i % 3]}) RETURNING id`,
    );
    clientIds.push(row!.id);
  }

  // [client, owner, value, currency, method, days ago, payments: [amount, outcome]]
  type Outcome = 'pending' | 'verified' | 'rejected' | 'requires_info' | 'refunded' | 'bad_debt';
  const plan: [number, Actor, string, string, 'bank' | 'cash' | 'cheque' | 'wallet', number, [string, Outcome][]][] = [
    [0, sales, '12000.00', 'USD', 'bank', 40, [['5000.00', 'verified'], ['7000.00', 'verified']]],
    [1, sales, '8500.00', 'NPR', 'cheque', 25, [['3000.00', 'verified'], ['2000.00', 'pending']]],
    [2, lead, '4200.00', 'GBP', 'wallet', 18, [['4200.00', 'rejected']]],
    [3, sales, '15000.00', 'USD', 'bank', 12, [['6000.00', 'requires_info']]],
    [4, sales, '2500.00', 'USD', 'cash', 9, [['2500.00', 'verified']]],
    [5, lead, '9900.00', 'EUR', 'bank', 6, [['4000.00', 'verified'], ['1000.00', 'refunded']]],
    [6, sales, '3300.00', 'USD', 'cheque', 4, [['3300.00', 'bad_debt']]],
    [7, sales, '6100.00', 'USD', 'wallet', 2, [['1500.00', 'pending']]],
    [0, sales, '1800.00', 'USD', 'cash', 1, []],
  ];
  let cheque = 100200;
  for (const [clientIndex, owner, value, currency, method, ago, payments] of plan) {
    const dealId = await createDeal(
      ctx(owner),
      {
        client_id: clientIds[clientIndex]!,
        deal_name: `${CLIENTS[clientIndex]![0]} engagement`,
        deal_value: value,
        currency,
        deal_date: daysAgo(ago),
        due_date: daysAgo(ago - 30),
        payment_method: method,
        source_type: (['referral', 'linkedin', 'google', 'instagram', 'others'] as const)[ago % 5],
        payment_status: payments.length ? 'partial_payment' : 'initial payment',
        payments: payments.map(([amount], k) => ({
          payment_date: daysAgo(Math.max(0, ago - k * 3)),
          received_amount: amount,
          ...(method === 'cheque' ? { cheque_number: `CHQ${cheque++}` } : {}),
          payment_remarks: k === 0 ? 'Advance' : 'Instalment',
        })),
      },
      uploads,
    );
    const stored = await rows<{ id: string }>(tx, sql`SELECT id FROM payments WHERE deal_id = ${dealId} ORDER BY created_at, id`);
    for (const [k, [, outcome]] of payments.entries()) {
      const paymentId = stored[k]!.id;
      const receipt = await files.put('receipts', 'pdf', DEMO_RECEIPT);
      await tx.execute(sql`UPDATE payments SET receipt_key = ${receipt}, receipt_name = 'receipt.pdf' WHERE id = ${paymentId}`);
      if (outcome === 'pending') continue;
      const decision = outcome === 'rejected' ? 'rejected' : outcome === 'requires_info' ? 'requires_info' : 'approved';
      const remarks = decision === 'approved' ? 'Matches the bank statement.' : decision === 'rejected' ? 'Receipt does not match the amount.' : 'Please upload the bank slip.';
      await decidePayment(ctx(verifier), paymentId, { decision, remarks }, undefined, uploads);
      if (outcome === 'refunded' || outcome === 'bad_debt') {
        await writeOffPayment(ctx(verifier), paymentId, outcome, outcome === 'refunded' ? 'Client cancelled part of the order.' : 'Cheque bounced; client unreachable.');
      }
    }
  }
}

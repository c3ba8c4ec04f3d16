import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../../core/db/database.ts';

export interface InvoiceRow {
  id: string;
  invoice_code: string;
  payment_id: string;
  transaction_id: string;
  deal_id: string;
  deal_code: string;
  deal_name: string;
  client_name: string;
  client_email: string;
  amount: string;
  tax_amount: string;
  total_amount: string;
  currency: string;
  status: string;
  invoice_date: string;
  due_date: string | null;
  invoice_file_key: string | null;
  receipt_key: string | null;
  payment_status: string;
  payment_date: string;
  payment_method: string;
  remarks: string;
  version: number;
  organization_name: string;
  created_at: string;
  updated_at: string;
}

export const INVOICE_SELECT = sql`
  SELECT i.id, i.invoice_code, i.payment_id, p.transaction_id, i.deal_id, d.deal_code, d.deal_name, c.client_name, c.email AS client_email,
         i.amount::text AS amount, i.tax_amount::text AS tax_amount, i.total_amount::text AS total_amount, i.currency, i.status,
         to_char(i.invoice_date, 'YYYY-MM-DD') AS invoice_date, to_char(i.due_date, 'YYYY-MM-DD') AS due_date, i.invoice_file_key,
         p.receipt_key, p.status AS payment_status, to_char(p.payment_date, 'YYYY-MM-DD') AS payment_date, p.payment_method, i.remarks,
         i.version, o.name AS organization_name, i.created_at, i.updated_at
  FROM invoices i
  JOIN payments p ON p.id = i.payment_id
  JOIN deals d ON d.id = i.deal_id
  JOIN clients c ON c.id = d.client_id
  JOIN organizations o ON o.id = i.organization_id`;

export async function listInvoices(tx: Tx, where: SQL[], page: { limit: number; offset: number }) {
  const cond = sql.join(where, sql` AND `);
  const [c] = await rows<{ n: number }>(
    tx,
    sql`SELECT count(*)::int AS n FROM invoices i JOIN payments p ON p.id = i.payment_id JOIN deals d ON d.id = i.deal_id JOIN clients c ON c.id = d.client_id WHERE ${cond}`,
  );
  const list = await rows<InvoiceRow>(tx, sql`${INVOICE_SELECT} WHERE ${cond} ORDER BY i.created_at DESC, i.id DESC LIMIT ${page.limit} OFFSET ${page.offset}`);
  return { count: c?.n ?? 0, rows: list };
}

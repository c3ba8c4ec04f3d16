// A printable invoice, generated on request from the invoice row (nothing stored).
import type { InvoiceRow } from './repo.ts';

export async function renderInvoicePdf(inv: InvoiceRow): Promise<Buffer> {
  // Loaded on the first invoice printed: pdfkit holds ~5 MB that most processes never use.
  const { default: PDFDocument } = await import('pdfkit');
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `Invoice ${inv.invoice_code}`, Author: inv.organization_name } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);

    doc.fontSize(20).text(inv.organization_name, { continued: false });
    doc.moveDown(0.5).fontSize(14).text(`Invoice ${inv.invoice_code}`);
    doc.moveDown().fontSize(10);
    const line = (label: string, value: string) => doc.text(`${label}: ${value}`);
    line('Invoice date', inv.invoice_date);
    line('Due date', inv.due_date ?? '—');
    line('Status', inv.status.replace('_', ' '));
    doc.moveDown();
    line('Bill to', `${inv.client_name} <${inv.client_email}>`);
    line('Deal', `${inv.deal_code} ${inv.deal_name}`.trim());
    line('Payment', `${inv.transaction_id} on ${inv.payment_date} via ${inv.payment_method}`);
    doc.moveDown();
    line('Amount', `${inv.amount} ${inv.currency}`);
    line('Tax', `${inv.tax_amount} ${inv.currency}`);
    doc.fontSize(12).text(`Total: ${inv.total_amount} ${inv.currency}`);
    if (inv.remarks) doc.moveDown().fontSize(10).text(inv.remarks);
    doc.end();
  });
}

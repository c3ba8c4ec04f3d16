// What commission tells the rest of the system: approving a statement notifies the salesperson
// (product.md §6: "commission approved → the salesperson"), inside the approving transaction.
import type { ServiceContext } from '../../core/http/context.ts';
import { notifyCommissionApproved } from '../../core/notifications/triggers.ts';
import type { StatementView } from './types.ts';

export async function notifyApproved(ctx: ServiceContext, view: StatementView): Promise<void> {
  if (!view.id) return;
  await notifyCommissionApproved(ctx, {
    userId: view.user.id,
    commissionId: view.id,
    period: `the ${view.period} period ${view.start_date} to ${view.end_date}`,
    amount: view.final_amount,
    currency: view.payout_currency,
  });
}

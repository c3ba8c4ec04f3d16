// The commission area's shapes: a leaf module, so statements, accruals, their presentation and
// their events can name them without importing each other.
import type { Period } from './periods.ts';
import type { UserLite } from './repo.ts';

export interface StatementView {
  id: string | null;
  user: UserLite;
  period: Period['kind'];
  start_date: string;
  end_date: string;
  currency: string;
  payout_currency: string;
  exchange_rate: string;
  rate: string;
  rate_overridden: boolean;
  sales_base: string;
  commission: string;
  bonus: string;
  penalty: string;
  total_commission: string;
  final_amount: string;
  accrual_count: number;
  needs_rate_count: number;
  status: 'pending' | 'approved' | 'paid';
  computed_at: string | null;
  approved_at: string | null;
  paid_at: string | null;
  /** Exact Σ base (stored by runs; not on the wire). */
  exactBase: string;
}

export interface AccrualRow {
  id: string;
  kind: string;
  payment_id: string;
  transaction_id: string;
  deal_id: string;
  deal_code: string;
  amount: string;
  currency: string;
  org_currency: string;
  fx_rate: string | null;
  base: string | null;
  rate: string;
  commission: string | null;
  status: string;
  period_date: string;
  reverses_id: string | null;
  reversed_by_id: string | null;
  reversal_reason: string | null;
  reversed_at: string | null;
  created_at: string;
}

// The one JSON shape of a client, with the aliases the PRS web client reads
// (name|client_name, primary_contact, created_by.full_name|email, activities[].description|message).
import { iso } from '../../core/http/org-scope.ts';
import type { ActivityRow, ClientRow } from './repo.ts';

const fullName = (first: string | null, last: string | null) => `${first ?? ''} ${last ?? ''}`.trim();

export function presentActivity(a: ActivityRow) {
  const who = fullName(a.user_first_name, a.user_last_name) || a.user_email;
  return {
    id: a.id,
    action: a.action,
    description: a.description,
    message: a.description,
    timestamp: iso(a.created_at),
    created_at: iso(a.created_at),
    user: who ?? null,
    user_id: a.user_id,
  };
}

export function presentClient(c: ClientRow) {
  const creatorName = fullName(c.creator_first_name, c.creator_last_name);
  return {
    id: c.id,
    client_name: c.client_name,
    name: c.client_name,
    email: c.email,
    phone_number: c.phone_number,
    nationality: c.nationality,
    address: c.address,
    remarks: c.remarks,
    satisfaction: c.satisfaction,
    status: c.status,
    client_type: c.client_type,
    company_name: c.company_name,
    website: c.website,
    tax_id: c.tax_id,
    contact_person: c.contact_person,
    primary_contact: c.contact_person || c.client_name,
    organization: c.organization_id,
    created_at: iso(c.created_at),
    updated_at: iso(c.updated_at),
    created_by: { id: c.created_by, full_name: creatorName, email: c.creator_email ?? '' },
    created_by_name: creatorName || (c.creator_email ?? ''),
    updated_by: c.updated_by,
    payment_status: c.payment_status,
    total_deals: c.total_deals,
    total_value: c.total_value,
    deal_value: c.total_value,
    currency: c.currency,
    totals_by_currency: (c.totals_by_currency ?? []).map((t) => ({ currency: t.currency, total_value: t.total_value, total_deals: t.total_deals })),
    due_date: c.due_date,
  };
}

export type ClientView = ReturnType<typeof presentClient>;

// An organisation as the API answers it.
import { z } from 'zod';
import { wireId } from '../http/fields.ts';
import type { OrganizationRow } from './repo.ts';

export const OrgOut = z.object({
  id: wireId,
  name: z.string(),
  description: z.string(),
  contact_email: z.string(),
  contact_number: z.string(),
  address: z.string(),
  sales_goal: z.string(),
  currency: z.string(),
  time_zone: z.string(),
  is_active: z.boolean(),
  settings: z.record(z.string(), z.unknown()),
  created_by: wireId.nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  user_count: z.number(),
  role_count: z.number(),
  admin_email: z.string().nullable(),
});

export const presentOrg = (o: OrganizationRow) => ({
  ...o,
  created_at: new Date(o.created_at).toISOString(),
  updated_at: new Date(o.updated_at).toISOString(),
});

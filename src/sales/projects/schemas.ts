import { z } from 'zod';
import { dateField } from '../../core/http/fields.ts';
import { pageQueryFields } from '../../core/http/pagination.ts';
import { wireId } from '../../core/http/fields.ts';

export const PROJECT_STATUSES = ['planning', 'in_progress', 'completed', 'on_hold', 'cancelled'] as const;

const status = z.enum(PROJECT_STATUSES, {
  error: (issue) => (issue.input === undefined ? 'This field is required.' : `"${String(issue.input)}" is not a valid choice.`),
});

/** A business date, YYYY-MM-DD, that exists on the calendar; null clears it. */
const businessDate = dateField.nullable();

const ProjectFields = {
  name: z.string().trim().min(1, 'This field may not be blank.').max(255, 'Ensure this field has no more than 255 characters.'),
  description: z.string().trim().max(5000, 'Ensure this field has no more than 5000 characters.').optional(),
  status: status.optional(),
  start_date: businessDate.optional(),
  end_date: businessDate.optional(),
};

export const ProjectBody = z.object(ProjectFields);
export const ProjectPatchBody = z.object(ProjectFields).partial();
export type ProjectInput = z.infer<typeof ProjectPatchBody>;

export const PROJECT_ORDERINGS = ['name', '-name', 'created_at', '-created_at', 'start_date', '-start_date', 'end_date', '-end_date'] as const;

export const ProjectListQuery = z.object({
  ...pageQueryFields,
  search: z.string().max(200).optional(),
  status: status.optional(),
  ordering: z.string().max(50).optional(),
  organization: z.string().max(64).optional(),
  /** The web client sends `params=[object Object]` (a bug); accepted and ignored. */
  params: z.string().max(200).optional(),
});
export type ProjectListFilters = z.infer<typeof ProjectListQuery>;

export const ProjectOut = z.object({
  id: wireId,
  name: z.string(),
  description: z.string(),
  status: z.string(),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  organization: wireId,
  created_by: wireId.nullable(),
  created_by_name: z.string().nullable(),
  team_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

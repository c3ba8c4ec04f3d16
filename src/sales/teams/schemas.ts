import { z } from 'zod';
import { withAliases } from '../../core/http/aliases.ts';
import { pageQueryFields } from '../../core/http/pagination.ts';
import { wireId, idRef } from '../../core/http/fields.ts';

const idList = z.array(idRef).max(500, 'Ensure this field has no more than 500 elements.');

const TeamFields = {
  name: z.string().trim().min(1, 'This field may not be blank.').max(100, 'Ensure this field has no more than 100 characters.'),
  description: z.string().trim().max(2000, 'Ensure this field has no more than 2000 characters.').optional(),
  /** Normalised by the service ('+977-undefined' → '', '+977-+977-98…' → '+977-98…'). */
  contact_number: z.string().max(60, 'Ensure this field has no more than 60 characters.').optional(),
  /** '' or null clears the lead. */
  team_lead_id: idRef.nullable().optional(),
  member_ids: idList.optional(),
  /** The seeds' alias of member_ids. */
  memberlist: idList.optional(),
  /** Project ids; anything that is not a project of the organisation (the web client sends deal ids) is ignored. */
  projects: z.array(idRef).max(500).optional(),
  /** Ignored: a team always belongs to the caller's organisation (a Super Admin names one here). */
  organization: z.union([z.string().max(64), z.number()]).nullable().optional(),
};

/** POST and PUT need a name; other fields absent = unchanged. */
export const TeamBody = z.object(TeamFields);
export const TeamPatchBody = z.object(TeamFields).partial();
/** POST /api/team/ as seed 000 documents it: `team_name` and `team_lead` for name and team_lead_id. */
export const SeedTeamBody = withAliases(TeamFields, { team_name: 'name', team_lead: 'team_lead_id' });
export type TeamInput = z.infer<typeof TeamPatchBody>;

export const MembersBody = z.object({
  user_ids: idList.optional(),
  member_ids: idList.optional(),
  /** 'replace' (default: the web client sends the full selected list) or 'add'. */
  mode: z.enum(['replace', 'add'], { error: (issue) => `"${String(issue.input)}" is not a valid choice.` }).optional(),
});

export const MemberParams = z.object({ id: z.string().max(64), user_id: z.string().max(64) });

export const TeamListQuery = z.object({
  ...pageQueryFields,
  search: z.string().max(200).optional(),
  ordering: z.string().max(50).optional(),
  organization: z.string().max(64).optional(),
});
export type TeamListFilters = z.infer<typeof TeamListQuery>;

const Member = z.object({ id: wireId, full_name: z.string(), username: z.string(), name: z.string(), email: z.string() });

export const TeamOut = z.object({
  id: wireId,
  name: z.string(),
  description: z.string(),
  organization: wireId,
  team_lead: z.object({ id: wireId, full_name: z.string(), username: z.string(), email: z.string() }).nullable(),
  members: z.array(Member),
  member_count: z.number().int(),
  projects: z.array(z.object({ id: wireId, name: z.string() })),
  contact_number: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

import { z } from 'zod';
import { decimalInput, emailField, optionalText, queryBool, wireId, idRef, idOrName } from '../http/fields.ts';
import { pageQueryFields } from '../http/pagination.ts';
import { uploadedFile } from '../http/multipart.ts';

export const UserOut = z.object({
  id: wireId,
  email: z.string(),
  username: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  full_name: z.string(),
  name: z.string(),
  role: z.object({ id: wireId.nullable(), name: z.string() }).nullable(),
  user_type: z.string(),
  organization: wireId.nullable(),
  organizationId: wireId.nullable(),
  organization_name: z.string().nullable(),
  contact_number: z.string(),
  phoneNumber: z.string(),
  address: z.string(),
  status: z.string(),
  is_active: z.boolean(),
  is_superuser: z.boolean(),
  must_change_password: z.boolean(),
  sales_target: z.string(),
  teams: z.array(z.object({ id: wireId, name: z.string() })),
  team_name: z.string().nullable(),
  profile: z.object({ profile_picture: z.string().nullable(), bio: z.string() }),
  avatar: z.string().nullable(),
  totp_enabled: z.boolean(),
  login_count: z.number(),
  last_login: z.string().nullable(),
  date_joined: z.string(),
});

export const UserListQuery = z.object({
  ...pageQueryFields,
  role: z.string().max(100).optional(),
  search: z.string().max(200).optional(),
  full_name: z.string().max(200).optional(),
  email: z.string().max(254).optional(),
  is_active: queryBool.optional(),
  ordering: z.string().max(50).optional(),
  organization: z.string().max(64).optional(),
});

const contactNumber = z.string().trim().max(40, 'Ensure this field has no more than 40 characters.');
const name = z.string().trim().max(150, 'Ensure this field has no more than 150 characters.');

export const UserCreateBody = z.object({
  email: emailField,
  first_name: name.optional(),
  last_name: name.optional(),
  username: z.string().trim().max(150).optional(),
  contact_number: contactNumber.optional(),
  address: optionalText(500),
  password: z.string().min(1, 'This field may not be blank.').max(128).optional(),
  /** A role id (number or string) or a role name. */
  role: idOrName.optional(),
  organization: z.union([z.string(), z.number()]).nullable().optional(),
  is_active: z.boolean().optional(),
  sales_target: decimalInput.optional(),
  /** Accepted and ignored (team membership is managed under /api/team/); ids as the client sends them. */
  teams: z.array(idRef).max(500).optional(),
});

export const UserUpdateBody = z.object({
  email: emailField.optional(),
  first_name: name.optional(),
  last_name: name.optional(),
  username: z.string().trim().max(150).optional(),
  contact_number: contactNumber.optional(),
  address: optionalText(500),
  status: z.enum(['active', 'inactive', 'pending', 'invited', 'suspended']).optional(),
  is_active: z.boolean().optional(),
  role: idOrName.optional(),
  sales_target: decimalInput.optional(),
  organization: z.union([z.string(), z.number()]).nullable().optional(),
  /** Accepted and ignored (team membership is managed under /api/team/); ids as the client sends them. */
  teams: z.array(idRef).max(500).optional(),
});

export const ProfileUpdateBody = z.object({
  first_name: name.optional(),
  last_name: name.optional(),
  email: emailField.optional(),
  phoneNumber: contactNumber.optional(),
  contact_number: contactNumber.optional(),
  address: optionalText(500),
  bio: optionalText(500),
  profile_picture: uploadedFile.optional(),
});

export const SalesTargetBody = z.object({ sales_target: decimalInput });

export const BulkAssignBody = z.object({
  assignments: z.array(z.object({ user_id: idRef, role_id: idOrName })).min(1).max(500),
});

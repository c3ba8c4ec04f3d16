import { z } from 'zod';
import { emailField, wireId, idRef } from '../http/fields.ts';
import { UserOut } from '../users/schemas.ts';

export const LoginBody = z.object({ email: emailField, password: z.string().min(1, 'This field may not be blank.').max(256) });

export const OtpBody = z
  .object({
    email: emailField.optional(),
    mfa_token: z.string().max(200).optional(),
    otp: z.string().trim().min(6, 'Enter the 6-digit code or a backup code.').max(20),
  })
  .refine((b) => b.email || b.mfa_token, { message: 'Send email or mfa_token.', path: ['email'] });

export const PasswordSetBody = z.object({
  email: emailField,
  new_password: z.string().min(1, 'This field may not be blank.').max(256),
  temporary_token: z.string().min(1, 'This field may not be blank.').max(200),
});

export const PasswordChangeBody = z
  .object({
    current_password: z.string().min(1, 'This field may not be blank.').max(256),
    new_password: z.string().min(1, 'This field may not be blank.').max(256),
    confirm_password: z.string().max(256).optional(),
  })
  .refine((b) => b.confirm_password === undefined || b.confirm_password === b.new_password, {
    message: 'The two passwords do not match.',
    path: ['confirm_password'],
  });

export const RefreshBody = z.object({ refresh: z.string().min(1, 'This field may not be blank.').max(2000) });
export const PasswordBody = z.object({ password: z.string().min(1, 'This field may not be blank.').max(256) });
export const TotpConfirmBody = z.object({ otp: z.string().trim().min(6).max(10) });

const userActivity = z.object({ login_count: z.number(), last_login: z.string().nullable(), current_streak: z.number() });

/** Every shape a login step can answer with (the client branches on which keys are present). */
export const LoginOut = z.object({
  access: z.string().optional(),
  refresh: z.string().optional(),
  token: z.string().optional(),
  user: UserOut.optional(),
  user_activity: userActivity.optional(),
  requires_otp: z.boolean().optional(),
  requires_password_change: z.boolean().optional(),
  temporary_token: z.string().nullable().optional(),
  mfa_token: z.string().optional(),
  user_type: z.string().optional(),
  email: z.string().optional(),
  message: z.string().optional(),
});

export const SwitchOrganizationBody = z.object({
  /** The organisation's id (a JSON integer, or its digits as a string); one that is not the caller's is a 404. */
  organization: idRef,
});

export const SessionOut = z.object({
  id: wireId,
  device: z.object({ browser: z.string(), os: z.string(), device: z.string() }),
  ip_address: z.string(),
  user_agent: z.string(),
  created_at: z.string(),
  createdAt: z.string(),
  last_activity: z.string(),
  expires_at: z.string(),
  /** The organisation the session was issued for (null: a platform session). */
  organization: wireId.nullable(),
  organization_name: z.string().nullable(),
  is_current_session: z.boolean(),
});

export const SecurityEventBody = z.object({
  event_type: z.string().trim().min(1).max(100).regex(/^[a-z0-9_.-]+$/i, 'Use letters, digits, dots, dashes and underscores.'),
  user_id: z.union([z.string(), z.number()]).optional(),
  role: z.string().max(100).optional(),
  org_id: z.union([z.string(), z.number()]).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const ChangePasswordAnyBody = z.object({
  email: emailField.optional(),
  new_password: z.string().min(1, 'This field may not be blank.').max(256),
  temporary_token: z.string().min(1).max(200).optional(),
  old_password: z.string().max(256).optional(),
  current_password: z.string().max(256).optional(),
  confirm_password: z.string().max(256).optional(),
});

// Organisations (tenants): created by Super Admins (optionally with their first admin) or by
// public self-registration; each new organisation gets the default roles.
import type { Tx } from '../db/database.ts';
import { pgErrorCode } from '../db/errors.ts';
import type { ServiceContext } from '../http/context.ts';
import { conflict, duplicate, notFound } from '../http/errors.ts';
import { ROLE_NAMES } from '../access/catalog.ts';
import { createDefaultRoles } from '../access/service.ts';
import { diff, recordAudit } from '../audit/recorder.ts';
import { invalidateActors } from '../auth/actor-cache.ts';
import { assertAcceptablePassword } from '../auth/password-rules.ts';
import { generatePassword, hashPassword } from '../auth/passwords.ts';
import { emailTaken, insertMembership, insertUser, queueEmail } from '../users/repo.ts';
import * as repo from './repo.ts';
import { notifyOrganizationCreated } from '../notifications/triggers.ts';

export async function getOrganization(tx: Tx, id: string) {
  const org = await repo.findOrganization(tx, id);
  if (!org) throw notFound('Organisation not found.');
  return org;
}

export async function createOrganization(ctx: ServiceContext, input: repo.OrganizationFields & { name: string }) {
  if (await repo.nameTaken(ctx.tx, input.name)) throw duplicate('name', 'An organisation with this name already exists.');
  const id = await repo.insertOrganization(ctx.tx, input, ctx.actor?.userId ?? null);
  const roles = await createDefaultRoles(ctx.tx, id);
  await recordAudit(ctx, { entity: 'organization', entityId: id, action: 'create', organizationId: id, newValues: { name: input.name, is_active: input.is_active ?? true } });
  await notifyOrganizationCreated(ctx, { id, name: input.name });
  return { id, roles };
}

export interface AdminInput {
  admin_email: string;
  admin_first_name?: string | undefined;
  admin_last_name?: string | undefined;
  admin_password?: string | undefined;
}

/** Creates the organisation's first Org Admin. A generated password must be changed at first login. */
export async function createFirstAdmin(ctx: ServiceContext, orgId: string, roleId: string, input: AdminInput, mustChangeIfGiven: boolean) {
  if (await emailTaken(ctx.tx, input.admin_email)) throw duplicate('admin_email', 'A user with this email already exists.');
  const generated = !input.admin_password;
  const password = input.admin_password ?? generatePassword();
  if (!generated) {
    await assertAcceptablePassword(ctx.tx, password, { email: input.admin_email, firstName: input.admin_first_name, lastName: input.admin_last_name }, 'admin_password');
  }
  const userId = await insertUser(ctx.tx, {
    email: input.admin_email,
    passwordHash: await hashPassword(password),
    username: '',
    firstName: input.admin_first_name ?? '',
    lastName: input.admin_last_name ?? '',
    contactNumber: '',
    address: '',
    mustChangePassword: generated || mustChangeIfGiven,
    isActive: true,
  });
  await insertMembership(ctx.tx, orgId, userId, roleId);
  if (generated) {
    await queueEmail(ctx.tx, input.admin_email, 'Your PRS administrator account',
      `You are the administrator of a new PRS organisation. Sign in with this e-mail address and the temporary password ${password}; you will be asked to choose a new one.`, orgId);
  }
  await recordAudit(ctx, { entity: 'user', entityId: userId, action: 'create', organizationId: orgId, newValues: { email: input.admin_email, role: ROLE_NAMES.orgAdmin } });
  return userId;
}

export async function createOrganizationWithAdmin(ctx: ServiceContext, org: repo.OrganizationFields & { name: string }, admin: AdminInput, mustChange: boolean) {
  const { id, roles } = await createOrganization(ctx, org);
  const adminId = await createFirstAdmin(ctx, id, roles.get(ROLE_NAMES.orgAdmin)!, admin, mustChange);
  return { orgId: id, adminId };
}

export async function updateOrganization(ctx: ServiceContext, id: string, input: repo.OrganizationFields) {
  const before = await getOrganization(ctx.tx, id);
  if (input.name && (await repo.nameTaken(ctx.tx, input.name, id))) throw duplicate('name', 'An organisation with this name already exists.');
  try {
    await repo.updateOrganization(ctx.tx, id, input);
  } catch (err) {
    // Under row-level security an Org Admin cannot see the other organisation holding the name.
    if (pgErrorCode(err) === '23505') throw duplicate('name', 'An organisation with this name already exists.');
    throw err;
  }
  // Members' cached actors carry the organisation's name and whether it is active.
  invalidateActors(ctx, { kind: 'org', id });
  const after = await getOrganization(ctx.tx, id);
  // Compare stored values of the fields actually sent (not raw input: '5000' vs '5000.00', 'npr' vs 'NPR', undefined).
  const sent = Object.keys(input).filter((k) => input[k as keyof repo.OrganizationFields] !== undefined);
  const changes = diff(
    before as unknown as Record<string, unknown>,
    Object.fromEntries(sent.map((k) => [k, (after as unknown as Record<string, unknown>)[k]])),
  );
  if (changes.changed) await recordAudit(ctx, { entity: 'organization', entityId: id, action: 'update', organizationId: id, oldValues: changes.oldValues, newValues: changes.newValues });
  return after;
}

/** Refused while people belong to it: deactivate instead, or remove them first. */
export async function deleteOrganization(ctx: ServiceContext, id: string) {
  const org = await getOrganization(ctx.tx, id);
  // Deactivated members count too: their memberships would otherwise vanish with the organisation.
  const members = await repo.countMembers(ctx.tx, id);
  if (members > 0) {
    throw conflict(
      `Cannot delete "${org.name}": it has associated data (protected foreign keys: ${members} member(s)). Deactivate it instead.`,
      'protected',
    );
  }
  await recordAudit(ctx, { entity: 'organization', entityId: id, action: 'delete', organizationId: null, oldValues: { name: org.name } });
  await repo.deleteOrganization(ctx.tx, id);
  // Sessions acting in it are deleted with it (ON DELETE CASCADE); their cached actors must go too.
  invalidateActors(ctx, { kind: 'org', id });
}

// Roles and permissions: default roles for a new organisation, custom roles, assignment.
// Rules: nobody grants a permission they do not hold; "Super Admin" is a platform role that no
// organisation role can imitate; default roles keep their names and cannot be deleted.
import type { Tx } from '../db/database.ts';
import { conflict, fieldError, forbidden, notFound, ValidationError } from '../http/errors.ts';
import type { ServiceContext } from '../http/context.ts';
import { isId } from '../http/fields.ts';
import type { Actor } from '../http/auth.ts';
import { recordAudit } from '../audit/recorder.ts';
import { notifyCreatedInOrg } from '../notifications/triggers.ts';
import { invalidateActors } from '../auth/actor-cache.ts';
import { DEFAULT_ROLES, ROLE_NAMES, SUPER_ADMIN_ROLE_NAME, resolvePermissionCode } from './catalog.ts';
import * as repo from './repo.ts';

type Ctx = ServiceContext & { actor: Actor };

export async function createDefaultRoles(tx: Tx, orgId: string): Promise<Map<string, string>> {
  const all = await repo.listPermissions(tx);
  const idByCode = new Map(all.map((p) => [p.code, p.id]));
  const ids = new Map<string, string>();
  for (const role of DEFAULT_ROLES) {
    const roleId = await repo.insertRole(tx, orgId, role.name, role.description, true);
    await repo.setRolePermissions(tx, orgId, roleId, role.permissions.map((c) => idByCode.get(c)).filter((x): x is string => !!x));
    ids.set(role.name, roleId);
  }
  return ids;
}

function requireOrg(ctx: Ctx): string {
  if (!ctx.orgId) throw notFound('No organisation selected.');
  return ctx.orgId;
}

export async function listRoles(ctx: Ctx) {
  return repo.listRoles(ctx.tx, requireOrg(ctx));
}

export async function getRole(ctx: Ctx, roleId: string) {
  const role = await repo.findRole(ctx.tx, requireOrg(ctx), roleId);
  if (!role) throw notFound('Role not found.');
  return role;
}

/** Permission references may be ids or codes (ours or the old codenames). */
async function resolvePermissions(ctx: Ctx, rawRefs: string[], alreadyGranted: ReadonlySet<string> = new Set()): Promise<string[]> {
  const refs = rawRefs.map((r) => (isId(r) ? r.toLowerCase() : r));
  const byId = await repo.permissionsByIds(ctx.tx, refs.filter(isId));
  const codes = refs.filter((r) => !isId(r)).map((r) => resolvePermissionCode(r) ?? r);
  const byCode = await repo.permissionsByCodes(ctx.tx, codes);
  const found = [...byId, ...byCode];
  const unknown = refs.filter((r) => !found.some((p) => p.id === r || p.code === (resolvePermissionCode(r) ?? r)));
  if (unknown.length) throw new ValidationError({ permissions: unknown.map((u) => `Unknown permission: ${u}.`) });
  if (!ctx.actor.isSuperuser) {
    // Granting means adding: what the role already has may stay even if the actor lacks it.
    const notHeld = found.filter((p) => !ctx.actor.permissions.has(p.code) && !alreadyGranted.has(p.code));
    if (notHeld.length) {
      throw forbidden(`You cannot grant permissions you do not hold: ${notHeld.map((p) => p.code).join(', ')}.`, 'permission_not_held');
    }
  }
  return [...new Set(found.map((p) => p.id))];
}

function checkName(name: string) {
  if (name.trim().toLowerCase() === SUPER_ADMIN_ROLE_NAME.toLowerCase()) {
    throw fieldError('name', 'This name is reserved for the platform role.');
  }
}

export async function createRole(ctx: Ctx, input: { name: string; description?: string | undefined; permissions?: string[] | undefined }) {
  const orgId = requireOrg(ctx);
  checkName(input.name);
  if (await repo.findRoleByName(ctx.tx, orgId, input.name.trim())) {
    throw conflict('A role with this name already exists.', 'duplicate', { name: ['A role with this name already exists.'] });
  }
  const permissionIds = await resolvePermissions(ctx, input.permissions ?? []);
  const roleId = await repo.insertRole(ctx.tx, orgId, input.name.trim(), input.description ?? '', false);
  await repo.setRolePermissions(ctx.tx, orgId, roleId, permissionIds);
  const role = (await repo.findRole(ctx.tx, orgId, roleId))!;
  await recordAudit(ctx, { entity: 'role', entityId: roleId, action: 'create', newValues: { name: role.name, permissions: role.permission_codes } });
  await notifyCreatedInOrg(ctx, 'role', { id: roleId, name: role.name });
  return role;
}

export async function updateRole(
  ctx: Ctx,
  roleId: string,
  input: { name?: string | undefined; description?: string | undefined; permissions?: string[] | undefined },
) {
  const orgId = requireOrg(ctx);
  const before = await getRole(ctx, roleId);
  if (input.name !== undefined && input.name.trim() !== before.name) {
    checkName(input.name);
    if (before.is_default) throw fieldError('name', 'Default roles keep their names.');
    const clash = await repo.findRoleByName(ctx.tx, orgId, input.name.trim());
    if (clash && clash.id !== roleId) throw conflict('A role with this name already exists.', 'duplicate', { name: ['A role with this name already exists.'] });
  }
  await repo.updateRole(ctx.tx, roleId, { name: input.name?.trim(), description: input.description });
  // Holders' cached actors carry the role's name and permission set.
  invalidateActors(ctx, { kind: 'role', id: roleId });
  if (input.permissions !== undefined) {
    // The Org Admin role always carries every permission, so no one can lock the organisation out.
    if (before.is_default && before.name === ROLE_NAMES.orgAdmin) {
      throw fieldError('permissions', 'The Org Admin role always has every permission.');
    }
    const ids = await resolvePermissions(ctx, input.permissions, new Set(before.permission_codes));
    // Permissions the actor does not hold stay as they were: one can neither grant nor remove them.
    const kept = ctx.actor.isSuperuser ? [] : before.permissions.filter((id, i) => !ctx.actor.permissions.has(before.permission_codes[i]!));
    await repo.setRolePermissions(ctx.tx, orgId, roleId, [...new Set([...ids, ...kept])]);
  }
  const after = (await repo.findRole(ctx.tx, orgId, roleId))!;
  await recordAudit(ctx, {
    entity: 'role',
    entityId: roleId,
    action: 'update',
    oldValues: { name: before.name, permissions: before.permission_codes },
    newValues: { name: after.name, permissions: after.permission_codes },
  });
  return after;
}

export async function deleteRole(ctx: Ctx, roleId: string) {
  const role = await getRole(ctx, roleId);
  if (role.is_default) throw conflict('Default roles cannot be deleted.', 'protected');
  // Deactivated members count too: deleting their role would leave them without one on reactivation.
  if ((await repo.countRoleHolders(ctx.tx, roleId)) > 0) throw conflict('The role is assigned to users; reassign them first.', 'in_use');
  await repo.deleteRole(ctx.tx, roleId);
  await recordAudit(ctx, { entity: 'role', entityId: roleId, action: 'delete', oldValues: { name: role.name } });
}

/** Resolves a role given by id or by name (the web client sends names). */
export async function resolveRole(ctx: ServiceContext, orgId: string, ref: string) {
  const role = isId(ref) ? await repo.findRole(ctx.tx, orgId, ref) : await repo.findRoleByName(ctx.tx, orgId, ref.trim());
  if (!role) {
    const aliases: Record<string, string> = { 'organization admin': 'Org Admin', 'org-admin': 'Org Admin', org_admin: 'Org Admin', 'team member': 'Team Member' };
    const alias = aliases[ref.trim().toLowerCase()];
    if (alias) return repo.findRoleByName(ctx.tx, orgId, alias);
  }
  return role;
}

/** An actor may hand out a role only if they hold every permission it carries. */
export function assertCanAssign(actor: Actor, role: repo.RoleRow) {
  if (actor.isSuperuser) return;
  const missing = role.permission_codes.filter((c) => !actor.permissions.has(c));
  if (missing.length) throw forbidden('You cannot assign a role with permissions you do not hold.', 'permission_not_held');
}

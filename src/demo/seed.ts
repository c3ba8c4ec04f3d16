// Demo data for a fresh installation: a platform Super Admin and one demo organisation with one
// user per default role. Only runs on a database without organisations.
import { rows, sql, type Database } from '../core/db/database.ts';
import { ROLE_NAMES } from '../core/access/catalog.ts';
import { createDefaultRoles } from '../core/access/service.ts';
import { hashPassword } from '../core/auth/passwords.ts';
import { insertMembership, insertUser } from '../core/users/repo.ts';
import type { FileStorage } from '../core/files/storage.ts';
import { seedSalesDemo } from './sales.ts';

export const DEMO_PASSWORD = 'Prs-Demo-2026!';
export const DEMO_ORGANIZATION = 'Demo Organization';

export const DEMO_USERS: readonly { email: string; first: string; last: string; role: string | null }[] = [
  { email: 'superadmin@demo.prs.test', first: 'Sam', last: 'Platform', role: null },
  { email: 'orgadmin@demo.prs.test', first: 'Olivia', last: 'Admin', role: ROLE_NAMES.orgAdmin },
  { email: 'sales@demo.prs.test', first: 'Sanjay', last: 'Seller', role: ROLE_NAMES.salesperson },
  { email: 'verifier@demo.prs.test', first: 'Vera', last: 'Checker', role: ROLE_NAMES.verifier },
  { email: 'supervisor@demo.prs.test', first: 'Suki', last: 'Overseer', role: ROLE_NAMES.supervisor },
  { email: 'teamlead@demo.prs.test', first: 'Tariq', last: 'Leader', role: ROLE_NAMES.teamLead },
  { email: 'member@demo.prs.test', first: 'Mina', last: 'Member', role: ROLE_NAMES.teamMember },
];

export async function seedDemoIfEmpty(db: Database, files: FileStorage): Promise<{ organization: string; email: string; role: string; password: string }[] | null> {
  const hash = await hashPassword(DEMO_PASSWORD);
  return db.system(async (tx) => {
    const [existing] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM organizations`);
    if ((existing?.n ?? 0) > 0) return null;
    const [org] = await rows<{ id: string }>(
      tx,
      sql`INSERT INTO organizations (name, description, contact_email, sales_goal, currency, time_zone)
          VALUES (${DEMO_ORGANIZATION}, 'Sample organisation created on first start.', 'orgadmin@demo.prs.test', '250000.00', 'USD', 'UTC')
          RETURNING id`,
    );
    const roles = await createDefaultRoles(tx, org!.id);
    const created = [];
    const byRole = new Map<string, { id: string; email: string }>();
    for (const u of DEMO_USERS) {
      const id = await insertUser(tx, {
        email: u.email,
        passwordHash: hash,
        username: u.email.split('@')[0]!,
        firstName: u.first,
        lastName: u.last,
        contactNumber: '',
        address: '',
        mustChangePassword: false,
        isActive: true,
        isSuperuser: u.role === null,
      });
      if (u.role) {
        // The target is the organisation's (memberships.sales_target); the Org Admin, first of its
        // role, becomes the organisation's owner.
        await insertMembership(tx, org!.id, id, roles.get(u.role)!, u.role === ROLE_NAMES.salesperson ? '50000.00' : '0');
        byRole.set(u.role, { id, email: u.email });
      }
      created.push({ organization: DEMO_ORGANIZATION, email: u.email, role: u.role ?? 'Super Admin', password: DEMO_PASSWORD });
    }
    await seedSalesDemo(tx, files, org!.id, byRole);
    return created;
  });
}

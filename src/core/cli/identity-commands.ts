// `prs create-super-admin`, `prs setup-permissions`, `prs cleanup-permissions`.
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { rows, sql } from '../db/database.ts';
import { deleteUnknownPermissions, syncPermissionCatalog } from '../access/repo.ts';
import { checkPasswordPolicy } from '../auth/password-policy.ts';
import { generatePassword, hashPassword } from '../auth/passwords.ts';
import { insertUser } from '../users/repo.ts';
import type { Command } from './command.ts';

async function promptHidden(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Echo nothing while the password is typed.
  const output = rl as unknown as { _writeToOutput?: (s: string) => void };
  output._writeToOutput = () => undefined;
  process.stdout.write(question);
  const answer = await rl.question('');
  rl.close();
  process.stdout.write('\n');
  return answer;
}

export const identityCommands: Record<string, Command> = {
  'create-super-admin': {
    summary: 'Create (or promote) a platform Super Admin: --email E [--password P] [--first-name F] [--last-name L]',
    async run({ db, args, out }) {
      const { values } = parseArgs({
        args,
        options: { email: { type: 'string' }, password: { type: 'string' }, 'first-name': { type: 'string' }, 'last-name': { type: 'string' } },
        strict: true,
      });
      const email = z.email().safeParse(values.email?.trim().toLowerCase());
      if (!email.success) {
        out('--email must be a valid e-mail address.');
        return 2;
      }
      let password = values.password;
      let generated = false;
      if (!password) {
        if (process.stdin.isTTY) password = await promptHidden('Password: ');
        else {
          password = generatePassword();
          generated = true;
        }
      }
      const problems = checkPasswordPolicy(password, { email: email.data, firstName: values['first-name'], lastName: values['last-name'] });
      if (problems.length) {
        out(`Password refused:\n  ${problems.join('\n  ')}`);
        return 2;
      }
      const hash = await hashPassword(password);
      const result = await db.system(async (tx) => {
        const [existing] = await rows<{ id: string }>(tx, sql`SELECT id FROM users WHERE email = ${email.data}`);
        if (existing) {
          await tx.execute(sql`UPDATE users SET is_superuser = true, is_active = true, status = 'active', password_hash = ${hash},
            password_changed_at = now(), must_change_password = ${generated} WHERE id = ${existing.id}`);
          await tx.execute(sql`INSERT INTO password_history (user_id, password_hash) VALUES (${existing.id}, ${hash})`);
          return 'updated';
        }
        await insertUser(tx, {
          email: email.data,
          passwordHash: hash,
          username: email.data.split('@')[0]!,
          firstName: values['first-name'] ?? '',
          lastName: values['last-name'] ?? '',
          contactNumber: '',
          address: '',
          mustChangePassword: generated,
          isActive: true,
          isSuperuser: true,
        });
        return 'created';
      });
      out(`Super Admin ${email.data} ${result}.`);
      if (generated) out(`Generated password (change it at first login): ${password}`);
      return 0;
    },
  },
  'setup-permissions': {
    summary: 'Create or update the permission catalogue (idempotent)',
    async run({ db, out }) {
      const inserted = await db.system((tx) => syncPermissionCatalog(tx));
      out(inserted ? `Permission catalogue updated: ${inserted} new permission(s).` : 'Permission catalogue already up to date.');
      return 0;
    },
  },
  'cleanup-permissions': {
    summary: 'Remove permissions that are no longer in the catalogue (and their grants)',
    async run({ db, out }) {
      const removed = await db.system((tx) => deleteUnknownPermissions(tx));
      out(removed.length ? `Removed ${removed.length} permission(s): ${removed.join(', ')}` : 'Nothing to remove.');
      return 0;
    },
  },
};

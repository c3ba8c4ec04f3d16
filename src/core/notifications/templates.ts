// Notification templates: per organisation or global, with {{variable}} placeholders rendered
// from the notification's data and the recipient. The organisation's template wins over the
// global one; without either the caller's title and message are used (rendered the same way).
import type { SQL } from 'drizzle-orm';
import { rows, sql, type Tx } from '../db/database.ts';
import { iso } from '../http/org-scope.ts';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g;

/** Replaces {{name}} and {{a.b}} with values from `vars`; unknown names become empty text. */
export function renderTemplate(template: string, vars: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_m, path: string) => {
    let value: unknown = vars;
    for (const key of path.split('.')) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    if (value === undefined || value === null) return '';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

/** The placeholder names a template uses, for `available_variables`. */
export function variablesOf(...templates: string[]): string[] {
  const names = new Set<string>();
  for (const t of templates) for (const m of t.matchAll(PLACEHOLDER)) names.add(m[1]!);
  return [...names].sort();
}

export interface TemplateRow {
  id: string;
  organization_id: string | null;
  notification_type: string;
  name: string;
  title_template: string;
  message_template: string;
  available_variables: string[];
  is_active: boolean;
  created_by: string | null;
  created_at: string | Date;
  updated_at: string | Date;
}

/** The active template for a type: the organisation's, else the global one (a subquery). */
export function activeTemplateSql(orgId: string | null, type: string): SQL {
  return sql`SELECT title_template, message_template FROM notification_templates
    WHERE notification_type = ${type} AND is_active AND (organization_id IS NULL OR organization_id = ${orgId})
    ORDER BY organization_id NULLS LAST LIMIT 1`;
}

export async function listTemplates(tx: Tx, orgId: string | null, page: { limit: number; offset: number }) {
  const where = orgId ? sql`(organization_id IS NULL OR organization_id = ${orgId})` : sql`organization_id IS NULL`;
  const [c] = await rows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM notification_templates WHERE ${where}`);
  const list = await rows<TemplateRow>(
    tx,
    sql`SELECT * FROM notification_templates WHERE ${where} ORDER BY notification_type, organization_id NULLS LAST, id LIMIT ${page.limit} OFFSET ${page.offset}`,
  );
  return { count: c?.n ?? 0, rows: list };
}

/** A template the caller may change: their organisation's, or a global one for platform admins (orgId null). */
export async function findEditableTemplate(tx: Tx, orgId: string | null, id: string): Promise<TemplateRow | undefined> {
  const [row] = await rows<TemplateRow>(
    tx,
    orgId
      ? sql`SELECT * FROM notification_templates WHERE id = ${id} AND organization_id = ${orgId}`
      : sql`SELECT * FROM notification_templates WHERE id = ${id} AND organization_id IS NULL`,
  );
  return row;
}

export async function findVisibleTemplate(tx: Tx, orgId: string | null, id: string): Promise<TemplateRow | undefined> {
  const [row] = await rows<TemplateRow>(
    tx,
    sql`SELECT * FROM notification_templates WHERE id = ${id} AND (organization_id IS NULL OR organization_id IS NOT DISTINCT FROM ${orgId})`,
  );
  return row;
}

export interface TemplateFields {
  notification_type?: string | undefined;
  name?: string | undefined;
  title_template?: string | undefined;
  message_template?: string | undefined;
  available_variables?: string[] | undefined;
  is_active?: boolean | undefined;
}

export async function insertTemplate(tx: Tx, orgId: string | null, userId: string, f: Required<Pick<TemplateFields, 'notification_type' | 'title_template'>> & TemplateFields) {
  const variables = f.available_variables ?? variablesOf(f.title_template, f.message_template ?? '');
  const [row] = await rows<TemplateRow>(
    tx,
    sql`INSERT INTO notification_templates (organization_id, notification_type, name, title_template, message_template, available_variables, is_active, created_by, updated_by)
        VALUES (${orgId}, ${f.notification_type}, ${f.name ?? ''}, ${f.title_template}, ${f.message_template ?? ''}, ${sql.param(variables)}::text[],
                ${f.is_active ?? true}, ${userId}, ${userId})
        RETURNING *`,
  );
  return row!;
}

export async function updateTemplate(tx: Tx, before: TemplateRow, userId: string, f: TemplateFields) {
  const title = f.title_template ?? before.title_template;
  const message = f.message_template ?? before.message_template;
  const variables = f.available_variables ?? variablesOf(title, message);
  const [row] = await rows<TemplateRow>(
    tx,
    sql`UPDATE notification_templates SET notification_type = ${f.notification_type ?? before.notification_type}, name = ${f.name ?? before.name},
          title_template = ${title}, message_template = ${message}, available_variables = ${sql.param(variables)}::text[],
          is_active = ${f.is_active ?? before.is_active}, updated_by = ${userId}
        WHERE id = ${before.id} RETURNING *`,
  );
  return row!;
}

export async function deleteTemplate(tx: Tx, id: string): Promise<void> {
  await tx.execute(sql`DELETE FROM notification_templates WHERE id = ${id}`);
}

export function presentTemplate(t: TemplateRow) {
  return {
    id: t.id,
    organization: t.organization_id,
    is_global: t.organization_id === null,
    notification_type: t.notification_type,
    name: t.name,
    title_template: t.title_template,
    message_template: t.message_template,
    title: t.title_template,
    message: t.message_template,
    available_variables: t.available_variables,
    variables: t.available_variables,
    is_active: t.is_active,
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
  };
}

// What the fuzzer holds every answer to: no 5xx; a status the operation declares (strict, or a
// warning for an undeclared 4xx until the document declares them all); a JSON body that matches
// the schema declared for its status (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it); and no
// state left behind by a refused request (each table's row count and newest row version, before and after).
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { sql } from 'drizzle-orm';
import { rows, type Database } from '../src/core/db/database.ts';

export type Verdict = { kind: 'ok' } | { kind: 'warning'; reason: string } | { kind: 'failure'; reason: string };

interface OpenApiOperation {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation & { parameters?: unknown[]; requestBody?: unknown }>>;
  components?: unknown;
}

const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

export class ResponseOracle {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  private readonly compiled = new Map<string, ValidateFunction | null>();

  constructor(
    private readonly doc: OpenApiDocument,
    private readonly strictStatus: boolean,
  ) {
    // The whole document under one id, so that `$ref`s inside response schemas resolve against it.
    this.ajv.addSchema({ ...(doc as object), $id: 'openapi.json' });
  }

  private validator(path: string, method: string, status: string): ValidateFunction | null {
    const key = `${method} ${path} ${status}`;
    if (!this.compiled.has(key)) {
      const schema = this.doc.paths[path]?.[method]?.responses?.[status]?.content?.['application/json']?.schema;
      this.compiled.set(key, schema === undefined ? null : (this.ajv.getSchema(`openapi.json#/${pointer('paths', path, method, 'responses', status, 'content', 'application/json', 'schema')}`) ?? null));
    }
    return this.compiled.get(key)!;
  }

  judge(path: string, method: string, res: { statusCode: number; headers: Record<string, unknown>; body: string }): Verdict {
    const status = String(res.statusCode);
    if (res.statusCode >= 500) return { kind: 'failure', reason: `${status}: ${res.body.slice(0, 300)}` };
    const declared = this.doc.paths[path]?.[method]?.responses ?? {};
    const entry = declared[status] ?? declared[`${status[0]}XX`] ?? declared.default;
    if (!entry) {
      const reason = `status ${status} is not declared (declared: ${Object.keys(declared).join(', ') || 'none'})`;
      return res.statusCode >= 400 && !this.strictStatus ? { kind: 'warning', reason } : { kind: 'failure', reason };
    }
    const validate = this.validator(path, method, status);
    if (!validate) return { kind: 'ok' };
    const type = String(res.headers['content-type'] ?? '');
    if (!type.includes('json')) return { kind: 'failure', reason: `status ${status} declares JSON, got ${type || 'no content type'}` };
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      return { kind: 'failure', reason: `status ${status}: body is not JSON` };
    }
    if (validate(body)) return { kind: 'ok' };
    const e = validate.errors?.[0];
    return { kind: 'failure', reason: `status ${status}: body does not match its schema: ${e?.instancePath || '/'} ${e?.message ?? ''} ${JSON.stringify(e?.params ?? {})}` };
  }
}

/**
 * Tables a refused request may legitimately write, left out of the fingerprint: the audit trail
 * (a Super Admin's access to an organisation is audited whatever the answer), security events and
 * login bookkeeping (failed logins are recorded by design), e-mails and jobs they queue, and
 * sessions and challenges a login step creates before a later step refuses.
 */
export const EXCLUDED_TABLES = new Set(['audit_log', 'security_events', 'email_outbox', 'jobs', 'auth_challenges', 'idempotency_keys']);

export class StateProbe {
  private query: ReturnType<typeof sql.raw> | undefined;
  private lastXid: string | undefined;
  private lastPrint: Map<string, string> | undefined;

  constructor(private readonly db: Database) {}

  private async build() {
    const tables = await this.db.system((tx) =>
      rows<{ name: string }>(
        tx,
        sql`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
      ),
    );
    const parts = tables
      .filter((t) => !EXCLUDED_TABLES.has(t.name))
      .map((t) => {
        // Row count and newest row version: an insert or delete moves the count, an update the
        // newest xmin (a row's xmin is the transaction that wrote that version of it).
        return `SELECT '${t.name}' AS name, count(*)::text || ':' || coalesce(max(xmin::text::bigint), 0)::text AS print FROM "${t.name}"`;
      });
    this.query = sql.raw(parts.join(' UNION ALL '));
  }

  /** The newest transaction id: unchanged means no transaction wrote anything. */
  private xid(): Promise<string> {
    return this.db.system(async (tx) => (await rows<{ x: string }>(tx, sql`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x`))[0]!.x);
  }

  private async print(): Promise<Map<string, string>> {
    if (!this.query) await this.build();
    const result = await this.db.system((tx) => rows<{ name: string; print: string }>(tx, this.query!));
    return new Map(result.map((r) => [r.name, r.print]));
  }

  /** Takes the reference state (after a request that may change it). */
  async settle(): Promise<void> {
    this.lastXid = await this.xid();
    this.lastPrint = await this.print();
  }

  /** Tables that differ from the reference state; the reference moves to the current state. */
  async changedTables(): Promise<string[]> {
    const xid = await this.xid();
    if (xid === this.lastXid && this.lastPrint) return [];
    const before = this.lastPrint ?? new Map<string, string>();
    const now = await this.print();
    this.lastXid = xid;
    this.lastPrint = now;
    return [...now].filter(([name, print]) => before.get(name) !== print).map(([name]) => name);
  }
}

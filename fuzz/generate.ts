// Values from the OpenAPI document's JSON Schemas (the subset Zod emits: type, enum, const,
// properties/required, items, anyOf/oneOf, lengths, bounds, pattern), valid or deliberately not.
import { Random } from '../src/demo/random.ts';
import type { Entity, IdPools } from './world.ts';

export type Schema = { [key: string]: unknown };
export { Random };

/** Strings that break naive code: NUL, lone surrogates, RTL override, emoji, U+FFFF, SQL and markup. */
export const ODD_STRINGS = [
  'x\u0000y', '\u0000', '\ud800', 'a\udfffb', '\u202eevil\u202c', '😀👩‍👩‍👧', '\uffff', '\ufeff', '',
  ' ', "'; DROP TABLE users; --", '<script>alert(1)</script>', '%00', '../../etc/passwd', '{{7*7}}', '\\', 'null', 'NaN',
  'Infinity', '-0', '1e3', '1e309', '0x10', '9999-12-31', '2026-02-30', '0000-00-00', '2026-13-01', '1899-12-31',
  '2026-12-03T25:61:00Z', 'true', '[]', '{}', 'ñ'.repeat(300),
];
export const ODD_NUMBERS = [0, -1, -0, 1e3, 1.5, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER, 0.1 + 0.2, 1e-9];
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

const ENTITY_BY_NAME: [RegExp, Entity][] = [
  [/organi[sz]ation|org_id/, 'organizations'], [/client/, 'clients'], [/deal/, 'deals'], [/payment/, 'payments'],
  [/invoice/, 'invoices'], [/role/, 'roles'], [/team_?lead|member|user|salesperson|verifier|assignee|created_by/, 'users'],
  [/team/, 'teams'], [/project/, 'projects'], [/notification/, 'notifications'], [/template/, 'notification_templates'],
  [/statement/, 'commission_statements'], [/session/, 'auth_sessions'],
];

/** The entity a field or path parameter names (`client_id`, `member_ids`, `{payment_id}`), if any. */
export function entityOfName(name: string): Entity | undefined {
  const n = name.toLowerCase();
  if (!/(^|_)ids?$|^(client|deal|user|role|team_lead|members?|memberlist|projects|teams|organization|assignments)$/.test(n) && !/_ids?$/.test(n)) return undefined;
  return ENTITY_BY_NAME.find(([re]) => re.test(n))?.[1];
}

/** The entity a path's `{id}` names, from the segment before it (`/api/clients/{id}/` → clients). */
export function entityOfPath(path: string, param: string): Entity | undefined {
  if (param !== 'id') return entityOfName(param);
  const before = path.slice(0, path.indexOf(`{${param}}`)).split('/').filter(Boolean);
  const segment = [...before].reverse().find((s) => !['api', 'admin'].includes(s)) ?? '';
  const map: Record<string, Entity> = {
    organizations: 'organizations', users: 'users', roles: 'roles', clients: 'clients', teams: 'teams', project: 'projects',
    projects: 'projects', deals: 'deals', payments: 'payments', invoices: 'invoices', invoice: 'invoices', notifications: 'notifications',
    templates: 'notification_templates', statements: 'commission_statements', sessions: 'auth_sessions',
  };
  return map[segment];
}

export type IdKind = 'own' | 'foreign' | 'unknown' | 'malformed';

export class Generator {
  constructor(
    readonly rng: Random,
    private readonly pools: IdPools,
  ) {}

  id(entity: Entity | undefined, kind: IdKind): string {
    const pool = entity ? (kind === 'foreign' ? this.pools.foreign[entity] : this.pools.own[entity]) : [];
    if ((kind === 'own' || kind === 'foreign') && pool.length) return this.rng.pick(pool);
    if (kind === 'malformed') return this.rng.pick(['abc', '-1', '0', '1e3', '1.5', ' 1', '99999999999999999999999', '0x1f', '%2e%2e', 'x\u0000']);
    return String(this.rng.int(900_000_000, 999_999_999));
  }

  /** A value the schema accepts (as far as a schema can say: ids come from the data). */
  valid(schema: Schema | undefined, name = '', depth = 0): unknown {
    const rng = this.rng;
    if (!schema || Object.keys(schema).filter((k) => k !== 'description').length === 0) return rng.pick(['x', 1, true]);
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum)) return rng.pick(schema.enum as unknown[]);
    const union = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (union?.length) return this.valid(rng.pick(union), name, depth);
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined];
    const type = rng.pick(types.filter((t) => t !== 'null').length ? types.filter((t) => t !== 'null') : types);
    const entity = entityOfName(name);
    switch (type) {
      case 'integer':
      case 'number': {
        if (entity) return Number(this.id(entity, 'own'));
        const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
        const max = typeof schema.maximum === 'number' ? Math.min(schema.maximum, min + 10_000) : min + 10_000;
        return type === 'integer' ? rng.int(Math.ceil(min), Math.floor(max)) : Math.round((min + rng.float() * (max - min)) * 100) / 100;
      }
      case 'boolean':
        return rng.chance(0.5);
      case 'null':
        return null;
      case 'array': {
        const min = Number(schema.minItems ?? 0);
        const max = Math.min(Number(schema.maxItems ?? 3), min + 3);
        return Array.from({ length: rng.int(min, max) }, () => this.valid(schema.items as Schema, name, depth + 1));
      }
      case 'object': {
        const out: Record<string, unknown> = {};
        const props = (schema.properties ?? {}) as Record<string, Schema>;
        const required = new Set((schema.required ?? []) as string[]);
        for (const [key, sub] of Object.entries(props)) if (required.has(key) || rng.chance(0.5)) out[key] = this.valid(sub, key, depth + 1);
        return out;
      }
      default:
        return this.string(schema, name, entity);
    }
  }

  private string(schema: Schema, name: string, entity: Entity | undefined): string {
    const rng = this.rng;
    if (entity) return this.id(entity, 'own');
    const pattern = typeof schema.pattern === 'string' ? schema.pattern : '';
    const n = name.toLowerCase();
    let s: string;
    if (/\\d\{4\}-\\d\{2\}-\\d\{2\}/.test(pattern) || /date|_from$|_until$/.test(n)) s = `2026-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
    else if (/email/.test(n)) s = `fuzz${rng.int(1, 1e6)}@example.test`;
    else if (/amount|value|target|goal|rate|price|total|percentage|bonus|penalty/.test(n)) s = `${rng.int(1, 99_999)}.${String(rng.int(0, 99)).padStart(2, '0')}`;
    else if (/password/.test(n)) s = `Fuzz-${rng.int(1e5, 1e6)}-Pass!`;
    else if (/currency/.test(n)) s = rng.pick(['USD', 'NPR', 'EUR', 'GBP']);
    else if (/phone|contact_number/.test(n)) s = `+97798${rng.int(10_000_000, 99_999_999)}`;
    else if (/url|website/.test(n)) s = 'https://example.test/x';
    else if (/time_zone/.test(n)) s = 'UTC';
    else s = `fuzz ${rng.int(1, 1e6)}`;
    const min = Number(schema.minLength ?? 0);
    const max = Number(schema.maxLength ?? 200);
    while (s.length < min) s += 'x';
    return s.slice(0, Math.max(max, min));
  }

  /** A value of the wrong kind or at an edge, for a field described by `schema`. */
  invalid(schema: Schema | undefined): unknown {
    const rng = this.rng;
    const maxLength = typeof schema?.maxLength === 'number' ? schema.maxLength : undefined;
    const choices: (() => unknown)[] = [
      () => rng.pick(ODD_STRINGS),
      () => rng.pick(ODD_NUMBERS),
      () => rng.pick([null, true, false, [], {}, [1, 'a'], { a: 1 }]),
      () => (maxLength !== undefined ? 'y'.repeat(maxLength + 1) : 'z'.repeat(rng.pick([1_000, 100_000]))),
      () => deep(rng.pick([33, 200, 1_000])),
      () => JSON.parse(`{"${rng.pick(PROTOTYPE_KEYS)}": {"polluted": "yes"}}`),
      () => (typeof schema?.minimum === 'number' ? schema.minimum - 1 : -1e15),
      () => (typeof schema?.maximum === 'number' ? schema.maximum + 1 : 1e300),
      () => Array.from({ length: rng.pick([50, 2_000]) }, (_, i) => i),
    ];
    return rng.pick(choices)();
  }
}

/** `{"a":{"a":…}}` nested `levels` deep, built iteratively. */
export function deep(levels: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

// The OpenAPI document declares every operation's error answers (issue 13, defect 11), and what
// it declares is exactly what the app sends: each 4xx produced here is validated against the
// schema its operation declares, as a schema-driven fuzzer would.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { PASSWORD, auth, createOrg, type TestOrg } from '../support/identity.ts';
import { createClient, createDeal } from '../support/sales.ts';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  security?: unknown[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

let t: TestApp;
let org: TestOrg;
let doc: Document;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });

beforeAll(async () => {
  t = await createTestApp();
  org = await createOrg(t, 'OpenAPI Org');
  doc = (await t.app.inject({ method: 'GET', url: '/api/schema/' })).json();
});
afterAll(() => t.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

/** The body matches the schema the document declares for this operation and status. */
function expectDeclared(path: string, method: string, res: LightMyRequestResponse, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  const declared = doc.paths[path]?.[method]?.responses[String(status)];
  expect(declared, `${method} ${path} declares ${status}`).toBeDefined();
  const schema = declared?.content?.['application/json']?.schema;
  expect(schema).toBeDefined();
  const validate = ajv.compile({ ...schema, components: doc.components });
  expect(validate(res.json()), JSON.stringify(validate.errors)).toBe(true);
}

describe('the OpenAPI document', () => {
  it('lists 400 and 503 on every operation, 401/404 on authenticated ones, with the error components by $ref', () => {
    expect(operations().length).toBeGreaterThan(100);
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['400', '503']));
      expect(JSON.stringify(op.responses['400']), where).toMatch(/#\/components\/schemas\/(Error|ErrorOrFieldErrors)"/);
      if (op.security === undefined) expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['401', '404']));
    }
    expect(Object.keys(doc.paths['/api/clients/{id}/']?.delete?.responses ?? {})).toEqual(expect.arrayContaining(['401', '403', '404', '409']));
    expect(doc.paths['/api/deals/{id}/']?.patch?.responses['412']).toBeDefined();
    expect(doc.paths['/api/clients/']?.post?.responses['413']).toBeDefined();
    expect(doc.paths['/api/clients/']?.get?.responses['409']).toBeUndefined();
  });

  it('is a valid OpenAPI 3.1 document: every $ref resolves, every response has a description', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) if (key === '$ref' && typeof value === 'string') refs.push(value);
        else walk(value);
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) {
      expect(ref, ref).toMatch(/^#\//);
      const target = ref.slice(2).split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
      expect(target, `${ref} resolves`).toBeDefined();
    }
    for (const { path, method, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) expect((response as { description?: string }).description, `${method} ${path} ${status}`).toBeTruthy();
    }
    // The document's schemas compile as JSON Schema 2020-12 (what OpenAPI 3.1 uses).
    expect(() => ajv.compile({ $ref: '#/components/schemas/Error', components: doc.components })).not.toThrow();
  });
});

describe('declared error answers are what the app sends', () => {
  const admin = () => auth(org.users.admin.token);

  it('400, 401, 403, 409, 413 and 415 on POST /api/clients/', async () => {
    const post = (payload: string | object, headers: Record<string, string> = admin()) =>
      t.app.inject({ method: 'POST', url: '/api/clients/', headers, payload });
    expectDeclared('/api/clients/', 'post', await post({ client_name: '', email: 'not-an-email' }), 400);
    expectDeclared('/api/clients/', 'post', await post({ client_name: 'A' }, {}), 401);
    expectDeclared('/api/clients/', 'post', await post({ client_name: 'A' }, auth(org.users.verifier.token)), 403);
    const taken = await createClient(t, org.users.admin.token, { email: 'taken@example.test' });
    expect(taken.id).toBeDefined();
    expectDeclared('/api/clients/', 'post', await post({ client_name: 'B', email: 'taken@example.test', phone_number: '+9779812345678', nationality: 'Nepalese' }), 409);
    const huge = JSON.stringify({ client_name: 'x'.repeat(t.config.bodyLimit + 10) });
    expectDeclared('/api/clients/', 'post', await post(huge, { ...admin(), 'content-type': 'application/json' }), 413);
    expectDeclared('/api/clients/', 'post', await post('<client/>', { ...admin(), 'content-type': 'application/xml' }), 415);
  });

  it('404 on GET /api/clients/{id}/, 412 on a stale If-Match, 422 on a reused Idempotency-Key', async () => {
    expectDeclared('/api/clients/{id}/', 'get', await t.app.inject({ method: 'GET', url: '/api/clients/999999999/', headers: admin() }), 404);
    const client = await createClient(t, org.users.admin.token);
    const deal = await createDeal(t, org.users.admin.token, client.id);
    const stale = await t.app.inject({ method: 'PATCH', url: `/api/deals/${deal.id}/`, headers: { ...admin(), 'if-match': String(deal.version + 5) }, payload: { deal_name: 'Renamed' } });
    expectDeclared('/api/deals/{id}/', 'patch', stale, 412);
    const create = (deal_name: string) =>
      t.app.inject({ method: 'POST', url: '/api/deals/', headers: { ...admin(), 'idempotency-key': 'openapi-422-key' }, payload: { client_id: client.id, deal_name, deal_value: '10.00', currency: 'USD', deal_date: '2026-12-01', payment_method: 'bank', source_type: 'referral' } });
    expect((await create('First')).statusCode).toBe(201);
    expectDeclared('/api/deals/', 'post', await create('Second'), 422);
  });

  it('400 as a bare field map on a web-client route that answers so', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/deals/payments/', headers: admin(), payload: {} });
    expect(res.json().code).toBeUndefined();
    expectDeclared('/api/deals/payments/', 'post', res, 400);
  });

  it('400 naming an item of a list of values, and 403 on a route with optional authentication (found by the fuzzer)', async () => {
    const prefs = await t.app.inject({ method: 'PATCH', url: '/api/notifications/preferences/', headers: admin(), payload: { disabled_types: ['no such type'] } });
    expect(prefs.json().disabled_types).toEqual([['Unknown notification type.']]);
    expectDeclared('/api/notifications/preferences/', 'patch', prefs, 400);
    expectDeclared('/api/dashboard/', 'get', await t.app.inject({ method: 'GET', url: '/api/dashboard/', headers: auth(org.users.verifier.token) }), 403);
  });

  it('405 in the Error component\'s shape', async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/health/' });
    expect(res.statusCode).toBe(405);
    const validate = ajv.compile({ $ref: '#/components/schemas/Error', components: doc.components });
    expect(validate(res.json()), JSON.stringify(validate.errors)).toBe(true);
  });

  it('401 on a wrong password and 429 on the throttled registration', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login/', payload: { email: org.users.admin.email, password: 'wrong-password' } });
    expectDeclared('/api/auth/login/', 'post', login, 401);
    const register = () =>
      t.app.inject({ method: 'POST', url: '/api/organizations/register/', payload: { name: 'Throttled Org', admin_email: 'owner@throttled.test', admin_password: PASSWORD } });
    let res = await register();
    for (let i = 0; i < 6 && res.statusCode !== 429; i++) res = await register();
    expectDeclared('/api/organizations/register/', 'post', res, 429);
    expect(res.headers['retry-after']).toBeDefined();
  });
});

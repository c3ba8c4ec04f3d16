import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pageEnvelope, pageOf, pageQueryFields, pageRequest } from '../../src/core/http/pagination.ts';
import type { AppInstance } from '../../src/core/http/types.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

// Probe routes exercise the shared conventions the way module routes use them.
async function probes(app: AppInstance) {
  const open = { auth: 'none' as const };
  app.post(
    '/api/_probe/echo/',
    {
      config: open,
      schema: {
        body: z.object({
          email: z.email(),
          amount: z.string().regex(/^\d+\.\d{2}$/),
          payments: z.array(z.object({ received_amount: z.string().min(1) })).optional(),
        }),
        response: { 200: z.object({ email: z.string(), amount: z.string() }) },
      },
    },
    async (request) => ({ ...request.body, secret: 'must not be serialised' }),
  );
  app.get('/api/_probe/boom/', { config: open }, async () => {
    throw new Error('password=hunter2 at SELECT * FROM users');
  });
  app.get('/api/_probe/query/', { config: open, schema: { querystring: z.object({ period: z.string().optional(), flag: z.string().optional() }) } }, async (request) => request.query);
  const Person = z.object({ id: z.string(), name: z.string().nullable() });
  app.get(
    '/api/_probe/nullable/',
    { config: open, schema: { response: { 200: z.array(z.object({ owner: Person.nullable(), note: z.string().nullable(), at: z.iso.datetime().nullable() })) } } },
    async () => [
      { owner: { id: 'u1', name: 'Ann', password: 'must not be serialised' }, note: 'a "quoted" note', at: '2026-11-22T09:00:00.000Z' },
      { owner: { id: 'u2', name: null }, note: null, at: null },
      { owner: null, note: '', at: null },
    ],
  );
  app.get(
    '/api/_probe/items/',
    { config: open, schema: { querystring: z.object({ ...pageQueryFields, search: z.string().optional() }), response: { 200: pageOf(z.object({ n: z.number() })) } } },
    async (request) => {
      const page = pageRequest(request.query, app.config);
      const all = Array.from({ length: 7 }, (_, i) => ({ n: i + 1 }));
      return pageEnvelope(request, page, all.length, all.slice(page.offset, page.offset + page.pageSize));
    },
  );
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ plugins: [probes], env: { CORS_ALLOWED_ORIGINS: 'https://web.example.test' } });
});
afterAll(() => t.close());

describe('error format', () => {
  it('answers an unknown route with 404 in the standard body', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/does-not-exist/' });
    expect(res.statusCode).toBe(404);
    const body = res.json();
    expect(body).toMatchObject({ code: 'not_found' });
    expect(body.detail).toBe(body.message);
    expect(body.request_id).toBe(res.headers['x-request-id']);
  });

  it('answers malformed JSON with 400 detail/code', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/_probe/echo/',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'parse_error', detail: expect.any(String), message: expect.any(String) });
  });

  it('answers invalid fields with DRF-style field lists, nested for arrays', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/_probe/echo/',
      payload: { email: 'not-an-email', payments: [{ received_amount: '' }] },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('validation_error');
    expect(body.email).toEqual([expect.any(String)]);
    expect(body.amount).toEqual(['This field is required.']);
    expect(body.payments[0].received_amount).toEqual([expect.any(String)]);
    expect(body.message).toMatch(/email/);
  });

  it('hides internals of an unexpected error behind a generic 500 with a request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/_probe/boom/', headers: { 'x-request-id': 'trace-abc-123' } });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body).toEqual({
      detail: expect.stringMatching(/went wrong/),
      message: body.detail,
      code: 'server_error',
      request_id: 'trace-abc-123',
    });
    expect(res.body).not.toMatch(/hunter2|SELECT|at .*\.ts/);
  });
});

describe('request conventions', () => {
  it('serialises only the fields of the response schema', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/_probe/echo/', payload: { email: 'a@b.co', amount: '5000.00' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ email: 'a@b.co', amount: '5000.00' });
  });

  it('serialises nullable objects and values, still dropping fields outside the schema', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/_probe/nullable/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(
      JSON.stringify([
        { owner: { id: 'u1', name: 'Ann' }, note: 'a "quoted" note', at: '2026-11-22T09:00:00.000Z' },
        { owner: { id: 'u2', name: null }, note: null, at: null },
        { owner: null, note: '', at: null },
      ]),
    );
  });

  it('accepts routes without their trailing slash', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
  });

  it('strips the stray "?" the web client leaves in query values', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/_probe/query/?period=daily&flag=true?' });
    expect(res.json()).toEqual({ period: 'daily', flag: 'true' });
    const bare = await t.app.inject({ method: 'GET', url: '/api/_probe/query/?' });
    expect(bare.json()).toEqual({});
  });

  it('paginates with count/next/previous/results and honours page_size and limit', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/api/_probe/items/?page_size=3&search=x' });
    expect(first.json()).toMatchObject({ count: 7, previous: null, results: [{ n: 1 }, { n: 2 }, { n: 3 }] });
    const next = new URL(first.json().next);
    expect(next.searchParams.get('page')).toBe('2');
    expect(next.searchParams.get('search')).toBe('x');
    const last = await t.app.inject({ method: 'GET', url: '/api/_probe/items/?limit=3&page=3' });
    expect(last.json()).toMatchObject({ next: null, results: [{ n: 7 }] });
    expect(last.json().previous).toContain('page=2');
    const bad = await t.app.inject({ method: 'GET', url: '/api/_probe/items/?page=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().page).toBeDefined();
  });
});

describe('cross-cutting headers and documents', () => {
  it('answers CORS preflight for the configured origin, and sets CORS on errors', async () => {
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/health/',
      headers: { origin: 'https://web.example.test', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(pre.statusCode).toBeLessThan(300);
    expect(pre.headers['access-control-allow-origin']).toBe('https://web.example.test');
    expect(String(pre.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
    const err = await t.app.inject({ method: 'GET', url: '/api/nope/', headers: { origin: 'https://web.example.test' } });
    expect(err.headers['access-control-allow-origin']).toBe('https://web.example.test');
    expect(err.headers['access-control-expose-headers']).toContain('Retry-After');
    // A 405's Allow is readable by a web client on another origin.
    const wrongMethod = await t.app.inject({ method: 'PUT', url: '/api/health/', headers: { origin: 'https://web.example.test' } });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers['access-control-expose-headers']).toContain('Allow');
    const other = await t.app.inject({ method: 'GET', url: '/api/health/', headers: { origin: 'https://evil.example.test' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sets security headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/health/' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('sets the whole helmet policy on every answer: success, 401, 404 and preflight', async () => {
    const expected = {
      'content-security-policy':
        "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline';upgrade-insecure-requests",
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'cross-origin',
      'origin-agent-cluster': '?1',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-frame-options': 'SAMEORIGIN',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    };
    const answers = await Promise.all([
      t.app.inject({ method: 'GET', url: '/api/health/' }),
      t.app.inject({ method: 'GET', url: '/api/auth/users/' }),
      t.app.inject({ method: 'GET', url: '/api/nope/' }),
      t.app.inject({ method: 'OPTIONS', url: '/api/health/', headers: { origin: 'https://web.example.test', 'access-control-request-method': 'GET' } }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 401, 404, 204]);
    for (const answer of answers) {
      expect(answer.headers).toMatchObject(expected);
      expect(answer.headers['x-request-id']).toMatch(/^[\w.:-]{8,128}$/);
      expect(answer.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('serves OpenAPI 3.1 generated from the route schemas and Swagger UI', async () => {
    const schema = await t.app.inject({ method: 'GET', url: '/api/schema/' });
    expect(schema.statusCode).toBe(200);
    expect(schema.json().openapi).toBe('3.1.0');
    expect(schema.json().paths['/api/health/'].get.responses['200']).toBeDefined();
    expect(schema.json().paths['/api/_probe/echo/'].post.requestBody).toBeDefined();
    const ui = await t.app.inject({ method: 'GET', url: '/swagger/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toMatch(/swagger/i);
  });

  it('exposes Prometheus metrics with route labels', async () => {
    await t.app.inject({ method: 'GET', url: '/api/health/' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/prs_http_requests_total\{method="GET",route="\/api\/health\/",status="200"\} \d+/);
  });
});

describe('health', () => {
  it('reports the database healthy, then 503 once it is gone', async () => {
    const ok = await t.app.inject({ method: 'GET', url: '/api/health/' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ok', database: 'ok' });
    const other = await createTestApp();
    await other.db.close();
    const down = await other.app.inject({ method: 'GET', url: '/api/health/' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'unhealthy', database: 'unavailable' });
    await other.app.close();
  });
});

// A request whose database connection was lost is answered 503 `service_unavailable` with
// Retry-After in the error format, whatever the driver's way of saying it (SQLSTATE, socket
// code, node-postgres message, wrapped by Drizzle); other failures keep their answers. The
// process-level behaviour (connections killed, server restarted) is in test/faults/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppInstance } from '../../src/core/http/types.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

const lost: [string, () => Error][] = [
  ['57P01 admin_shutdown', () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
  ['57P03 cannot_connect_now', () => Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
  ['08006 connection_failure', () => Object.assign(new Error('connection failure'), { code: '08006' })],
  ['ECONNREFUSED', () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
  ['Connection terminated unexpectedly, wrapped by Drizzle', () => new Error('Failed query: select 1', { cause: new Error('Connection terminated unexpectedly') })],
  ['the pool timing out', () => new Error('timeout exceeded when trying to connect')],
];

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    plugins: [
      async (app: AppInstance) => {
        app.get('/test/lost/:n', { config: { auth: 'none' } }, async (request) => {
          throw lost[Number((request.params as { n: string }).n)]![1]();
        });
        app.get('/test/bug', { config: { auth: 'none' } }, async () => {
          throw new Error('a bug');
        });
      },
    ],
  });
});
afterAll(() => t.close());

describe('a lost database connection', () => {
  lost.forEach(([name], n) => {
    it(`is a 503 with Retry-After: ${name}`, async () => {
      const res = await t.app.inject({ method: 'GET', url: `/test/lost/${n}` });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json()).toMatchObject({ code: 'service_unavailable', detail: expect.stringMatching(/retry/), request_id: expect.any(String) });
    });
  });

  it('leaves other failures a 500', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/test/bug' })).statusCode).toBe(500);
  });
});

// The fuzzer must be able to fail: its oracle catches a 5xx, a body that does not match the
// declared schema, an undeclared status (strict) and state left behind by a refused request.
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { ResponseOracle, type OpenApiDocument } from '../../fuzz/oracle.ts';
import { fuzz } from '../../fuzz/run.ts';
import { buildWorld } from '../../fuzz/world.ts';
import type { FastifyReply } from 'fastify';
import type { AppInstance } from '../../src/core/http/types.ts';

const doc: OpenApiDocument = {
  paths: {
    '/x/{id}/': {
      get: {
        responses: {
          200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
          404: { content: { 'application/json': { schema: { type: 'object', required: ['detail'] } } } },
        },
      },
    },
  },
  components: { schemas: { Thing: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } } },
};
const json = (statusCode: number, body: unknown) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('response oracle', () => {
  const oracle = new ResponseOracle(doc, false);
  it('accepts a declared status with a body of its schema (through a $ref)', () => {
    expect(oracle.judge('/x/{id}/', 'get', json(200, { id: 1 }))).toEqual({ kind: 'ok' });
    expect(oracle.judge('/x/{id}/', 'get', json(404, { detail: 'Not found.' }))).toEqual({ kind: 'ok' });
  });
  it('fails a 5xx, a wrong shape and a non-JSON body', () => {
    expect(oracle.judge('/x/{id}/', 'get', json(500, { detail: 'boom' })).kind).toBe('failure');
    expect(oracle.judge('/x/{id}/', 'get', json(200, { id: 'one' }))).toMatchObject({ kind: 'failure', reason: expect.stringMatching(/\/id must be integer/) });
    expect(oracle.judge('/x/{id}/', 'get', json(200, {}))).toMatchObject({ kind: 'failure', reason: expect.stringMatching(/required/) });
    expect(oracle.judge('/x/{id}/', 'get', { statusCode: 200, headers: { 'content-type': 'text/html' }, body: '<p>' }).kind).toBe('failure');
  });
  it('warns on an undeclared 4xx, fails it with --strict-status, and always fails an undeclared 2xx', () => {
    expect(oracle.judge('/x/{id}/', 'get', json(409, {})).kind).toBe('warning');
    expect(new ResponseOracle(doc, true).judge('/x/{id}/', 'get', json(409, {})).kind).toBe('failure');
    expect(oracle.judge('/x/{id}/', 'get', json(201, { id: 1 })).kind).toBe('failure');
  });
});

/** Routes with the defects the fuzzer exists to find. */
async function brokenRoutes(app: AppInstance) {
  const tags = ['fuzz-probe'];
  app.get('/api/fuzz-probe/crash/', { schema: { tags, response: { 200: z.object({ ok: z.boolean() }) } } }, async () => {
    throw new Error('crash');
  });
  app.get('/api/fuzz-probe/shape/', { schema: { tags, response: { 200: z.object({ id: z.number() }) } } }, async (_request, reply) =>
    // A string payload skips the serialiser, as a hand-written answer would.
    (reply as unknown as FastifyReply).type('application/json').send(JSON.stringify({ id: 'not a number' })),
  );
  app.post('/api/fuzz-probe/leaky/', { schema: { tags, body: z.object({ name: z.string() }), response: { 200: z.object({ ok: z.boolean() }) } } }, async (_request, reply) => {
    await app.db.system((tx) => tx.execute(sql`INSERT INTO organizations (name) VALUES ('left behind by a refused request')`));
    return (reply as unknown as FastifyReply).code(400).send({ detail: 'refused' });
  });
  // As node-postgres warns when a second query is issued on a connection that is still busy.
  app.get('/api/fuzz-probe/warns/', { schema: { tags, response: { 200: z.object({ ok: z.boolean() }) } } }, async () => {
    process.emitWarning('two queries at once on one connection', 'DeprecationWarning');
    return { ok: true };
  });
}

describe('fuzz run', () => {
  it('fails on a 5xx, a body off its schema, a refused request that changed data and a process warning', { timeout: 240_000 }, async () => {
    const world = await buildWorld({ plugins: [brokenRoutes] });
    const lines: string[] = [];
    try {
      const tally = await fuzz({ seed: 3, requests: 60, minutes: 0, strictStatus: false, only: /fuzz-probe/, log: (l) => lines.push(l) }, world);
      const reasons = tally.failures.map((f) => `${f.operation} ${f.reason}`);
      expect(reasons.some((r) => /^GET \/api\/fuzz-probe\/crash\/ 500/.test(r))).toBe(true);
      expect(reasons.some((r) => /^GET \/api\/fuzz-probe\/shape\/ .*does not match its schema/.test(r))).toBe(true);
      expect(reasons.some((r) => /^POST \/api\/fuzz-probe\/leaky\/ refused with 400 but changed: organizations/.test(r))).toBe(true);
      expect(reasons.some((r) => /^GET \/api\/fuzz-probe\/warns\/ process warning: DeprecationWarning: two queries/.test(r))).toBe(true);
      expect(lines.join('\n')).toMatch(/replay: GET \/api\/fuzz-probe\/crash\/ as /);
    } finally {
      await world.close();
    }
  });
});

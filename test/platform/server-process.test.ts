// The real entry point as `npm start` runs it: starts on an empty data directory, answers
// health, serves Swagger UI, stops cleanly on SIGTERM; refuses bad configuration by name.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/redis.ts';
import { startServer, waitForHealth } from '../support/server-process.ts';

describe('server process', () => {
  it('starts on a fresh data directory, serves health and Swagger UI, and shuts down on SIGTERM', async () => {
    const port = await freePort();
    const server = startServer({ PORT: String(port), DATA_DIR: mkdtempSync(join(tmpdir(), 'prs-srv-')), SEED_DEMO_DATA: 'false' });
    // A first start creates the embedded database and runs every migration: slow on a busy
    // CI machine (over 40 s seen while the other suites ran), so wait generously.
    const health = await waitForHealth(port, 150_000, 200);
    expect(health?.status, server.output()).toBe(200);
    expect(await health?.json()).toMatchObject({ status: 'ok', database_kind: 'pglite' });
    const ui = await fetch(`http://127.0.0.1:${port}/swagger/`);
    expect(ui.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 180_000);

  it('refuses to start with a bad value and names the variable', async () => {
    const server = startServer({ PORT: 'not-a-port', DATA_DIR: mkdtempSync(join(tmpdir(), 'prs-srv-')) });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/PORT: /);
  }, 30_000);

  it('refuses to start in production without SECRET_KEY', async () => {
    const server = startServer({ NODE_ENV: 'production', DATA_DIR: mkdtempSync(join(tmpdir(), 'prs-srv-')) });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/SECRET_KEY: is required/);
  }, 30_000);
});

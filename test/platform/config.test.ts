import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/config.ts';

const dataDir = () => mkdtempSync(join(tmpdir(), 'prs-cfg-'));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ DATA_DIR: dataDir(), ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('applies documented defaults', () => {
    const c = loadConfig({ DATA_DIR: dataDir() });
    expect(c).toMatchObject({ port: 8000, host: '127.0.0.1', pageSize: 25, maxPageSize: 1000, databaseUrl: undefined, env: 'development' });
  });

  it('names every bad variable in its own message', () => {
    const problems = problemsOf({ PORT: 'eighty', DATABASE_URL: 'mysql://x', API_PAGE_SIZE: '0', LOG_LEVEL: 'loud' });
    expect(problems).toHaveLength(4);
    expect(problems.find((p) => p.startsWith('PORT:'))).toBeDefined();
    expect(problems.find((p) => p.startsWith('DATABASE_URL:'))).toMatch(/postgres/);
    expect(problems.find((p) => p.startsWith('API_PAGE_SIZE:'))).toBeDefined();
    expect(problems.find((p) => p.startsWith('LOG_LEVEL:'))).toBeDefined();
  });

  it('refuses a page size above the maximum', () => {
    expect(problemsOf({ API_PAGE_SIZE: '500', API_MAX_PAGE_SIZE: '100' })[0]).toMatch(/^API_PAGE_SIZE:.*API_MAX_PAGE_SIZE/);
  });

  it('requires SECRET_KEY in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual(['SECRET_KEY: is required when NODE_ENV=production']);
    expect(problemsOf({ NODE_ENV: 'production', SECRET_KEY: 'short' })[0]).toMatch(/^SECRET_KEY: must be at least 32/);
  });

  it('generates a development secret once and keeps it in the data directory', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir }).secretKey;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(existsSync(join(dir, 'secret_key'))).toBe(true);
    expect(readFileSync(join(dir, 'secret_key'), 'utf8').trim()).toBe(first);
    expect(loadConfig({ DATA_DIR: dir }).secretKey).toBe(first);
  });

  it('keeps the heap growth at 50 % unless told otherwise, 0 leaving it to V8', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).heapGrowthPercent).toBe(50);
    expect(loadConfig({ DATA_DIR: dataDir(), HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(problemsOf({ HEAP_GROWTH_PERCENT: '1000' })[0]).toMatch(/^HEAP_GROWTH_PERCENT: must be at most 300/);
  });

  it('parses CORS origins and treats empty values as unset', () => {
    const c = loadConfig({ DATA_DIR: dataDir(), CORS_ALLOWED_ORIGINS: 'https://a.test, https://b.test', PORT: '' });
    expect(c.corsOrigins).toEqual(['https://a.test', 'https://b.test']);
    expect(c.port).toBe(8000);
  });
});

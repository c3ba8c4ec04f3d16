// Configuration: read once from the environment (and an optional .env), validated in one place.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { z } from 'zod';
import type { LoginPolicy } from './auth/login-throttle.ts';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// connection URL');

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    DATABASE_URL: postgresUrl.optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    PORT: z.coerce.number().int('must be an integer').min(0).max(65535, 'must be at most 65535').default(8000),
    HOST: z.string().min(1).default('127.0.0.1'),
    SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    CORS_ALLOWED_ORIGINS: csv.default([]),
    API_PAGE_SIZE: z.coerce.number().int('must be an integer').min(1).max(1000).default(25),
    API_MAX_PAGE_SIZE: z.coerce.number().int('must be an integer').min(1).max(10000).default(1000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DB_POOL_SIZE: z.coerce.number().int('must be an integer').min(1).max(200).default(10),
    DB_TRANSACTION_POOLER: bool.default(false),
    REDIS_URL: z.string().regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL').optional(),
    TRUST_PROXY: bool.default(false),
    SEED_DEMO_DATA: bool.optional(),
    JWT_ACCESS_TTL_SECONDS: z.coerce.number().int().min(30).max(86400).default(900),
    JWT_REFRESH_TTL_SECONDS: z.coerce.number().int().min(300).max(90 * 86400).default(7 * 86400),
    JWT_REFRESH_GRACE_SECONDS: z.coerce.number().int('must be an integer').min(0).max(300, 'must be at most 300').default(30),
    SESSION_TTL_SECONDS: z.coerce.number().int().min(300).max(365 * 86400).default(14 * 86400),
    // Capped at 10 minutes: the TTL bounds staleness only where no invalidation reaches (direct SQL, CLI).
    AUTH_CACHE_TTL_MS: z.coerce.number().int('must be an integer').min(0).max(600_000, 'must be at most 600000').optional(),
    PASSWORD_EXPIRY_DAYS: z.coerce.number().int().min(0).max(3650).default(90),
    LOGIN_FAILURES_PER_EMAIL_IP: z.coerce.number().int().min(1).default(5),
    LOGIN_FAILURES_PER_IP: z.coerce.number().int().min(1).default(30),
    LOGIN_EMAIL_FREE_FAILURES: z.coerce.number().int().min(1).default(10),
    LOGIN_EMAIL_MAX_DELAY_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
    LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).default(20),
    LOCKOUT_MIN_IPS: z.coerce.number().int().min(1).default(3),
    LOCKOUT_MINUTES: z.coerce.number().int().min(1).default(30),
    S3_ENDPOINT: z.string().regex(/^https?:\/\/.+/, 'must be an http(s) URL').optional(),
    S3_BUCKET: z.string().min(3).max(63).optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(12 * 1024 * 1024),
    EMAIL_HOST: z.string().min(1).optional(),
    EMAIL_PORT: z.coerce.number().int('must be an integer').min(1).max(65535, 'must be at most 65535').default(587),
    EMAIL_HOST_USER: z.string().min(1).optional(),
    EMAIL_HOST_PASSWORD: z.string().min(1).optional(),
    EMAIL_USE_TLS: bool.default(false),
    EMAIL_USE_SSL: bool.default(false),
    DEFAULT_FROM_EMAIL: z.string().min(3).default('PRS <no-reply@prs.local>'),
    JOBS_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    PAYMENT_REMINDER_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(24),
    WS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),
    HEAP_GROWTH_PERCENT: z.coerce.number().int('must be an integer').min(0).max(300, 'must be at most 300').default(50),
    DB_ACQUIRE_TIMEOUT_MS: z.coerce.number().int('must be an integer').min(100).max(600_000).default(10_000),
    HEALTH_DB_TIMEOUT_MS: z.coerce.number().int('must be an integer').min(50).max(60_000).default(2000),
    HEALTH_EVENT_LOOP_MAX_MS: z.coerce.number().int('must be an integer').min(10).max(600_000).default(1000),
    UPLOAD_SWEEP_GRACE_SECONDS: z.coerce.number().int('must be an integer').min(0).max(30 * 86400).default(3600),
  })
  .refine((e) => e.API_PAGE_SIZE <= e.API_MAX_PAGE_SIZE, {
    path: ['API_PAGE_SIZE'],
    message: 'must not exceed API_MAX_PAGE_SIZE',
  })
  .refine((e) => !e.S3_BUCKET || (e.S3_ENDPOINT && e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY), {
    path: ['S3_BUCKET'],
    message: 'needs S3_ENDPOINT, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY as well',
  });

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  secretKey: string;
  corsOrigins: string[];
  pageSize: number;
  maxPageSize: number;
  logLevel: Env['LOG_LEVEL'];
  dbPoolSize: number;
  /** PostgreSQL is reached through a transaction-mode pooler: no state kept on connections. */
  dbTransactionPooler: boolean;
  redisUrl: string | undefined;
  trustProxy: boolean;
  seedDemoData: boolean;
  jwtAccessTtl: number;
  jwtRefreshTtl: number;
  /** Seconds a rotated refresh token still answers the pair it was rotated into (concurrent tabs). */
  jwtRefreshGrace: number;
  sessionTtl: number;
  /** Lifetime of a cached resolved actor; 0 reads the session on every request. */
  authCacheTtlMs: number;
  passwordExpiryDays: number;
  bodyLimit: number;
  /** Login throttling and lockout (src/core/auth/login-throttle.ts). */
  login: LoginPolicy;
  s3: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string } | undefined;
  /** SMTP delivery; undefined keeps e-mail in the outbox for administrators to read. */
  smtp: { host: string; port: number; user: string | undefined; password: string | undefined; useTls: boolean; useSsl: boolean } | undefined;
  defaultFromEmail: string;
  jobPollIntervalMs: number;
  paymentReminderHours: number;
  wsTokenTtl: number;
  /** How far V8 lets the heap grow past the live data before a full collection; 0 = V8's own choice. */
  heapGrowthPercent: number;
  /** PostgreSQL: how long a unit of work waits for a pooled connection before a 503. */
  dbAcquireTimeoutMs: number;
  /** Health: the database must answer within this; the event loop must not have stalled longer. */
  healthDbTimeoutMs: number;
  healthEventLoopMaxMs: number;
  /** A stored file no row references is removed by the sweep once its upload is this old. */
  uploadSweepGraceSeconds: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Loads `.env` from the working directory into process.env without overriding set variables. */
export function loadDotEnv(path = resolve('.env')): void {
  if (!existsSync(path)) return;
  process.loadEnvFile(path);
}

/**
 * Validates the environment. Without SECRET_KEY outside production, a key is generated once
 * and kept in the data directory so that tokens survive restarts.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as most deployment tools write them for "no value".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message} (got ${JSON.stringify(cleaned[String(i.path[0])] ?? null)})`),
    );
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const isProduction = e.NODE_ENV === 'production';
  let secretKey = e.SECRET_KEY;
  if (!secretKey) {
    if (isProduction) throw new ConfigError(['SECRET_KEY: is required when NODE_ENV=production']);
    secretKey = persistedSecretKey(dataDir);
  }
  return {
    env: e.NODE_ENV,
    isProduction,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    port: e.PORT,
    host: e.HOST,
    secretKey,
    corsOrigins: e.CORS_ALLOWED_ORIGINS,
    pageSize: e.API_PAGE_SIZE,
    maxPageSize: e.API_MAX_PAGE_SIZE,
    logLevel: e.LOG_LEVEL,
    dbPoolSize: e.DB_POOL_SIZE,
    dbTransactionPooler: e.DB_TRANSACTION_POOLER,
    redisUrl: e.REDIS_URL,
    trustProxy: e.TRUST_PROXY,
    seedDemoData: e.SEED_DEMO_DATA ?? !isProduction,
    jwtAccessTtl: e.JWT_ACCESS_TTL_SECONDS,
    jwtRefreshTtl: e.JWT_REFRESH_TTL_SECONDS,
    jwtRefreshGrace: e.JWT_REFRESH_GRACE_SECONDS,
    sessionTtl: e.SESSION_TTL_SECONDS,
    // Off by default under NODE_ENV=test: suites change sessions, roles and memberships with direct
    // SQL, which announces nothing; test/identity/actor-cache.test.ts turns it on.
    authCacheTtlMs: e.AUTH_CACHE_TTL_MS ?? 30_000,
    passwordExpiryDays: e.PASSWORD_EXPIRY_DAYS,
    bodyLimit: e.BODY_LIMIT_BYTES,
    login: {
      failuresPerEmailIp: e.LOGIN_FAILURES_PER_EMAIL_IP,
      failuresPerIp: e.LOGIN_FAILURES_PER_IP,
      emailFreeFailures: e.LOGIN_EMAIL_FREE_FAILURES,
      emailMaxDelaySeconds: e.LOGIN_EMAIL_MAX_DELAY_SECONDS,
      lockoutThreshold: e.LOCKOUT_THRESHOLD,
      lockoutMinIps: e.LOCKOUT_MIN_IPS,
      lockoutMinutes: e.LOCKOUT_MINUTES,
    },
    s3:
      e.S3_BUCKET && e.S3_ENDPOINT && e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
        ? { endpoint: e.S3_ENDPOINT, bucket: e.S3_BUCKET, region: e.S3_REGION, accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
        : undefined,
    smtp: e.EMAIL_HOST
      ? { host: e.EMAIL_HOST, port: e.EMAIL_PORT, user: e.EMAIL_HOST_USER, password: e.EMAIL_HOST_PASSWORD, useTls: e.EMAIL_USE_TLS, useSsl: e.EMAIL_USE_SSL }
      : undefined,
    defaultFromEmail: e.DEFAULT_FROM_EMAIL,
    jobPollIntervalMs: e.JOBS_POLL_INTERVAL_MS,
    paymentReminderHours: e.PAYMENT_REMINDER_HOURS,
    wsTokenTtl: e.WS_TOKEN_TTL_SECONDS,
    heapGrowthPercent: e.HEAP_GROWTH_PERCENT,
    dbAcquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS,
    healthDbTimeoutMs: e.HEALTH_DB_TIMEOUT_MS,
    healthEventLoopMaxMs: e.HEALTH_EVENT_LOOP_MAX_MS,
    uploadSweepGraceSeconds: e.UPLOAD_SWEEP_GRACE_SECONDS,
  };
}

function persistedSecretKey(dataDir: string): string {
  const file = join(dataDir, 'secret_key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 32) return key;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(48).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

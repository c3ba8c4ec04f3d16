// Everything authentication needs that outlives a request: signing keys, the secret box for
// TOTP secrets, login counters and the policy numbers from configuration.
import { createHmac } from 'node:crypto';
import type { Config } from '../../config.ts';
import { MemoryCounterStore, type CounterStore } from '../../http/rate-limit.ts';
import { JwtService } from './jwt.ts';
import { createSecretBox, type SecretBox } from './secret-box.ts';

export interface AuthKit {
  jwt: JwtService;
  secretBox: SecretBox;
  counters: CounterStore;
  /** Keys backup-code hashes; derived from SECRET_KEY. */
  pepper: string;
  settings: {
    sessionTtlSeconds: number;
    refreshTtlSeconds: number;
    /** How long a rotated refresh token still answers the pair it was rotated into. */
    refreshGraceSeconds: number;
    passwordExpiryDays: number;
    failuresPerEmail: number;
    failuresPerIp: number;
    lockoutThreshold: number;
    lockoutMinutes: number;
    challengeTtlSeconds: number;
    maxOtpAttempts: number;
  };
}

export function createAuthKit(config: Config, counters: CounterStore = new MemoryCounterStore()): AuthKit {
  return {
    jwt: new JwtService(config.secretKey, { access: config.jwtAccessTtl, refresh: config.jwtRefreshTtl }),
    secretBox: createSecretBox(config.secretKey),
    counters,
    pepper: createHmac('sha256', config.secretKey).update('prs:backup-codes').digest('hex'),
    settings: {
      sessionTtlSeconds: config.sessionTtl,
      refreshTtlSeconds: config.jwtRefreshTtl,
      refreshGraceSeconds: config.jwtRefreshGrace,
      passwordExpiryDays: config.passwordExpiryDays,
      failuresPerEmail: config.loginFailuresPerEmail,
      failuresPerIp: config.loginFailuresPerIp,
      lockoutThreshold: config.lockoutThreshold,
      lockoutMinutes: config.lockoutMinutes,
      challengeTtlSeconds: 600,
      maxOtpAttempts: 5,
    },
  };
}

// Everything authentication needs that outlives a request: signing keys, the secret box for
// TOTP secrets, login counters and the policy numbers from configuration.
import { createHmac } from 'node:crypto';
import type { Config } from '../config.ts';
import type { CounterStore } from '../http/rate-limit.ts';
import { counterStoreFor } from '../http/rate-limit-redis.ts';
import { JwtService } from './jwt.ts';
import type { LoginPolicy } from './login-throttle.ts';
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
    login: LoginPolicy;
    challengeTtlSeconds: number;
    maxOtpAttempts: number;
  };
}

/** `warn` reports a Redis outage of the shared login counters (counting goes on in memory). */
export function createAuthKit(
  config: Config,
  counters?: CounterStore,
  warn: (message: string, err: Error) => void = (message, err) => process.emitWarning(`${message}: ${err.message}`),
): AuthKit {
  return {
    jwt: new JwtService(config.secretKey, { access: config.jwtAccessTtl, refresh: config.jwtRefreshTtl }),
    secretBox: createSecretBox(config.secretKey),
    counters: counters ?? counterStoreFor(config.redisUrl, warn),
    pepper: createHmac('sha256', config.secretKey).update('prs:backup-codes').digest('hex'),
    settings: {
      sessionTtlSeconds: config.sessionTtl,
      refreshTtlSeconds: config.jwtRefreshTtl,
      refreshGraceSeconds: config.jwtRefreshGrace,
      passwordExpiryDays: config.passwordExpiryDays,
      login: config.login,
      challengeTtlSeconds: 600,
      maxOtpAttempts: 5,
    },
  };
}

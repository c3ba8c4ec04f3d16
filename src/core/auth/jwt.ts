// JWT access/refresh pair (HS256, key derived from SECRET_KEY). Both carry the session id, so
// revoking the session revokes them at once.
import { hkdfSync, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';

export type TokenKind = 'access' | 'refresh';

export interface TokenClaims {
  sub: string;
  sid: string;
  typ: TokenKind;
  jti: string;
  /** The organisation the token was issued for; absent for a session without one (and on tokens issued before it existed). */
  org?: string;
}

export class JwtService {
  private readonly key: Uint8Array;
  constructor(
    secretKey: string,
    private readonly ttl: { access: number; refresh: number },
  ) {
    this.key = new Uint8Array(hkdfSync('sha256', secretKey, 'prs', 'prs:jwt:v1', 32));
  }

  async sign(kind: TokenKind, userId: string, sessionId: string, orgId: string | null, jti: string = randomUUID()): Promise<string> {
    return new SignJWT({ sid: sessionId, typ: kind, ...(orgId ? { org: orgId } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setJti(jti)
      .setIssuer('prs')
      .setIssuedAt()
      .setExpirationTime(`${kind === 'access' ? this.ttl.access : this.ttl.refresh}s`)
      .sign(this.key);
  }

  /** Returns the claims, or null for any invalid, expired or wrong-kind token. */
  async verify(token: string, kind: TokenKind): Promise<TokenClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'prs', algorithms: ['HS256'] });
      if (payload.typ !== kind || typeof payload.sid !== 'string' || !payload.sub || !payload.jti) return null;
      if (payload.org !== undefined && typeof payload.org !== 'string') return null;
      return { sub: payload.sub, sid: payload.sid, typ: kind, jti: payload.jti, ...(payload.org !== undefined ? { org: payload.org } : {}) };
    } catch (err) {
      if (err instanceof errors.JOSEError) return null;
      throw err;
    }
  }
}

export const looksLikeJwt = (token: string) => token.split('.').length === 3;

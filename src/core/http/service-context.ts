// The explicit context every use case receives (a leaf module: the audit recorder and the
// request helpers of context.ts both name it).
import type { Tx } from '../db/database.ts';
import type { Actor } from '../auth/actor.ts';
import type { AfterCommit } from './after-commit.ts';

export interface RequestMeta {
  ip: string;
  userAgent: string;
  requestId: string;
}

export interface ServiceContext {
  orgId: string | null;
  actor: Actor | null;
  tx: Tx;
  meta: RequestMeta;
  /** Hooks run after the transaction commits (live pushes); absent where nobody runs them. */
  afterCommit?: AfterCommit;
}

// Work that must wait until a transaction has committed: live pushes, waking the job runner.
// A use case adds hooks to `ctx.afterCommit`; whoever opened the transaction runs them once it
// has committed (inTenant/inSystem do), and drops them when it rolled back. Hooks receive the
// application so that use cases need no reference to servers or hubs.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

export type CommitHook = (app: FastifyInstance) => void | Promise<void>;

export class AfterCommit {
  private hooks: CommitHook[] = [];

  add(hook: CommitHook): void {
    this.hooks.push(hook);
  }

  get size(): number {
    return this.hooks.length;
  }

  /** Runs and clears the hooks. A failing hook is logged: the data has committed already. */
  async run(app: FastifyInstance, log: FastifyBaseLogger = app.log): Promise<void> {
    for (const hook of this.hooks.splice(0)) {
      try {
        await hook(app);
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'after-commit hook failed');
      }
    }
  }
}

/** Opens a hook list for `work` (one transaction) and runs it after `work` resolved. */
export async function withAfterCommit<T>(app: FastifyInstance, log: FastifyBaseLogger, work: (afterCommit: AfterCommit) => Promise<T>): Promise<T> {
  const afterCommit = new AfterCommit();
  const result = await work(afterCommit);
  await afterCommit.run(app, log);
  return result;
}

// Login protection (issue 13, defect 9), for passwords and second-factor codes alike:
// - per e-mail and IP, strictly: a few failures, then 429 until the window ends — an attacker
//   spends their own budget, not the owner's, who signs in from another address;
// - per IP across e-mails: one address guessing many accounts;
// - per e-mail across IPs, leniently: past a number of free failures each further failure makes
//   the next attempt wait, twice as long each time, up to a cap (429 with Retry-After);
// - the account locks only after many failures from several distinct IPs within the hour, which
//   one address cannot produce, and the owner is told by e-mail (login.ts).
// Counters live in the kit's CounterStore: shared through Redis when REDIS_URL is set.
import type { CounterStore } from '../http/rate-limit.ts';

export interface LoginPolicy {
  /** Failures per e-mail and IP in 15 minutes before 429. */
  failuresPerEmailIp: number;
  /** Failures per IP (any e-mail) in 15 minutes before 429. */
  failuresPerIp: number;
  /** Failures per e-mail (any IP) in an hour before each further one imposes a wait. */
  emailFreeFailures: number;
  /** The longest wait, in seconds. */
  emailMaxDelaySeconds: number;
  /** Failures per e-mail in an hour that lock the account… */
  lockoutThreshold: number;
  /** …when they came from at least this many distinct IPs. */
  lockoutMinIps: number;
  lockoutMinutes: number;
}

const QUARTER_HOUR = 15 * 60_000;
const HOUR = 60 * 60_000;

const keys = (email: string, ip: string) => ({
  pair: `login:pair:${email}|${ip}`,
  ip: `login:ip:${ip}`,
  email: `login:email:${email}`,
  seen: `login:seen:${email}|${ip}`,
  ips: `login:email-ips:${email}`,
  wait: `login:email-wait:${email}`,
});

/** Seconds until this e-mail may be tried from this IP; 0 when it may now. */
export async function loginWait(counters: CounterStore, policy: LoginPolicy, email: string, ip: string): Promise<number> {
  const k = keys(email, ip);
  const [pair, byIp, wait] = await Promise.all([counters.get(k.pair), counters.get(k.ip), counters.get(k.wait)]);
  const waits = [
    pair.count >= policy.failuresPerEmailIp ? pair.resetIn : 0,
    byIp.count >= policy.failuresPerIp ? byIp.resetIn : 0,
    wait.count > 0 ? wait.resetIn : 0,
  ];
  return Math.max(...waits);
}

/** Counts a failed password or code; answers whether the account must now be locked. */
export async function countLoginFailure(counters: CounterStore, policy: LoginPolicy, email: string, ip: string): Promise<{ lock: boolean }> {
  const k = keys(email, ip);
  const [, , byEmail, seen] = await Promise.all([
    counters.increment(k.pair, QUARTER_HOUR),
    counters.increment(k.ip, QUARTER_HOUR),
    counters.increment(k.email, HOUR),
    counters.increment(k.seen, HOUR),
  ]);
  const ips = seen.count === 1 ? await counters.increment(k.ips, HOUR) : await counters.get(k.ips);
  const beyond = byEmail.count - policy.emailFreeFailures;
  if (beyond > 0) {
    const delay = Math.min(2 ** Math.min(beyond - 1, 30), policy.emailMaxDelaySeconds);
    await counters.increment(k.wait, delay * 1000);
  }
  return { lock: byEmail.count >= policy.lockoutThreshold && ips.count >= policy.lockoutMinIps };
}

/** A success from this address clears its own strict budget (not the e-mail's). */
export async function clearLoginFailures(counters: CounterStore, email: string, ip: string): Promise<void> {
  await counters.reset(keys(email, ip).pair);
}

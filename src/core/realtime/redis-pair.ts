// A publisher and a subscriber connection to one Redis, as every pub/sub user here needs them:
// connecting lazily, retrying without end, and reporting a failing connection once per outage.
import { Redis } from 'ioredis';

export function redisPair(url: string, onError: (err: Error) => void): { pub: Redis; sub: Redis } {
  const options = { lazyConnect: true, maxRetriesPerRequest: 3, enableOfflineQueue: true };
  const pair = { pub: new Redis(url, options), sub: new Redis(url, options) };
  for (const client of [pair.pub, pair.sub]) {
    let reported: string | undefined;
    client.on('error', (err: Error) => {
      if (err.message !== reported) onError(err);
      reported = err.message;
    });
    client.on('ready', () => (reported = undefined));
  }
  return pair;
}

// Query-string parsing that tolerates the PRS web client: it appends a stray "?" to URLs, so
// "/x/?" and "/x/?period=daily?" occur; one trailing "?" is stripped from every key and value.
import { parse } from 'node:querystring';

export function parseQueryString(text: string): Record<string, string | string[]> {
  const parsed = parse(text);
  // Without a prototype: a key `__proto__` stays a key (refused by the input guards) instead of
  // replacing the object's prototype.
  const out = Object.create(null) as Record<string, string | string[]>;
  for (const [rawKey, rawValue] of Object.entries(parsed)) {
    const key = stripOne(rawKey);
    if (key === '' || rawValue === undefined) continue;
    out[key] = Array.isArray(rawValue) ? rawValue.map(stripOne) : stripOne(rawValue);
  }
  return out;
}

function stripOne(value: string): string {
  return value.endsWith('?') ? value.slice(0, -1) : value;
}

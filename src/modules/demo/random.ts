// A small seeded random generator for reproducible demo data: xoshiro128** seeded through
// splitmix32, so that the same seed (and stream) always yields the same organisation.

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Ids come from their own sequence, so that data can be repeated under other ids. */
  private readonly ids: Random | undefined;

  /**
   * `stream` separates independent sequences of one seed (one per organisation); `idSalt`
   * changes the ids (not the data) drawn by `uuid7`.
   */
  constructor(seed: number, stream = 0, idSalt?: string) {
    const mix = splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix() || 1;
    this.ids = idSalt === undefined ? undefined : new Random((seed ^ fnv1a(idSalt)) >>> 0, stream + 0x51ed);
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextU32() / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Picks a key by weight: `{ bank: 45, cash: 15 }`. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let total = 0;
    for (const [, w] of entries) total += w;
    let roll = this.float() * total;
    for (const [key, w] of entries) {
      roll -= w;
      if (roll < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  /**
   * A UUID version 7 whose time part is `ms` and whose random part comes from this generator:
   * reproducible, and time-ordered like the ids PRS makes, so bulk inserts append to indexes.
   */
  uuid7(ms: number): string {
    if (this.ids) return this.ids.uuid7(ms);
    const t = Math.max(0, Math.floor(ms));
    const hi = Math.floor(t / 0x10000);
    const lo = t % 0x10000;
    const r1 = this.nextU32();
    const r2 = this.nextU32();
    const r3 = this.nextU32();
    const time = hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(4, '0');
    return (
      `${time.slice(0, 8)}-${time.slice(8, 12)}-` +
      `7${HEX[r1 & 0xff]!.slice(1)}${HEX[(r1 >>> 8) & 0xff]}-` +
      `${HEX[0x80 | ((r1 >>> 16) & 0x3f)]}${HEX[r1 >>> 24]}-` +
      `${HEX[r2 & 0xff]}${HEX[(r2 >>> 8) & 0xff]}${HEX[(r2 >>> 16) & 0xff]}${HEX[r2 >>> 24]}` +
      `${HEX[r3 & 0xff]}${HEX[(r3 >>> 8) & 0xff]}`
    );
  }
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

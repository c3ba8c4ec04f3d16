// The source layout's rules (docs/architecture.md), checked on the import graph of src/:
// no import circle (type imports count: a circle of types is still two modules that cannot be
// understood apart), core imports no product area, sales imports neither CRM nor contracts, and
// only the composition root (src/*.ts) and the demo seeder see every area.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [full] : [];
  });
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((m) => path.resolve(path.dirname(file), m[1]!)).filter((t) => t.endsWith('.ts'));
    graph.set(path.relative(SRC, file), targets.map((t) => path.relative(SRC, t)));
  }
  return graph;
}

/** Strongly connected components with more than one module (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const area = (file: string): string => (file.includes('/') ? file.split('/')[0]! : 'root');

/** Which areas each area may import (besides itself). */
const MAY_IMPORT: Record<string, string[]> = {
  core: [],
  sales: ['core'],
  crm: ['core', 'sales'],
  contracts: ['core', 'sales'],
  demo: ['core', 'sales', 'crm', 'contracts', 'root'],
  root: ['core', 'sales', 'crm', 'contracts', 'demo'],
};

describe('source layout', () => {
  const graph = importGraph();

  it('reads the whole tree', () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get('app.ts')!.length).toBeGreaterThan(10);
  });

  it('has no import circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('keeps every area to the areas it may import', () => {
    const crossings: string[] = [];
    for (const [file, targets] of graph) {
      const from = area(file);
      const allowed = MAY_IMPORT[from];
      expect(allowed, `unknown area ${from} (${file})`).toBeDefined();
      for (const target of targets) {
        const to = area(target);
        if (to !== from && !allowed!.includes(to)) crossings.push(`${file} → ${target}`);
      }
    }
    expect(crossings).toEqual([]);
  });

  it('finds a circle and a crossing when there is one (the checks can fail)', () => {
    const bad = new Map([
      ['core/a.ts', ['core/b.ts']],
      ['core/b.ts', ['sales/c.ts']],
      ['sales/c.ts', ['core/a.ts']],
    ]);
    expect(circles(bad)).toEqual([['core/a.ts', 'core/b.ts', 'sales/c.ts']]);
  });
});

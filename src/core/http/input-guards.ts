// What no request may carry, checked once for every route before its schema sees the input
// (issue 13): keys that reach an object's prototype (`__proto__`, `constructor`, `prototype`),
// NUL characters (PostgreSQL cannot store them in text or jsonb: 22021/22P05), JSON nested
// deeper than MAX_DEPTH or holding more than MAX_VALUES values, and JSON bodies that are not
// UTF-8. Each is a 400 naming the field. The walks are iterative: a hostile body cannot overflow
// the stack of the check meant to refuse it.
import type { FastifyInstance } from 'fastify';
import { AppError, ValidationError, nestFieldErrors } from './errors.ts';

/** Keys that reach or replace an object's prototype when a body is merged or nested. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** Deepest nesting of a JSON body (the body itself is level 1). */
export const MAX_DEPTH = 32;
/** Most values (objects, arrays, scalars) in one JSON body. */
export const MAX_VALUES = 100_000;

export const MESSAGES = {
  forbiddenKey: 'This field name is not allowed.',
  nul: 'Null characters are not allowed.',
  nulKey: 'Field names may not contain null characters.',
  tooDeep: `Nested too deeply (at most ${MAX_DEPTH} levels).`,
};

type Segment = string | number;

/** A 400 on one field, the path kept as segments (a key may hold dots or be `__proto__`). */
export const pathError = (path: Segment[], message: string) => new ValidationError(nestFieldErrors([{ path, message }]));

interface Frame {
  value: object;
  depth: number;
  key: Segment;
  parent: Frame | undefined;
}

const pathOf = (frame: Frame | undefined, last?: Segment): Segment[] => {
  const path: Segment[] = last === undefined ? [] : [last];
  for (let f = frame; f?.parent; f = f.parent) path.unshift(f.key);
  return path;
};

/** Only plain objects and arrays are walked into: not Buffers (file parts) or other instances. */
const isWalkable = (v: unknown): v is object => {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

export interface InspectOptions {
  /** Look for NUL characters in strings and keys (skippable when the raw text cannot hold one). */
  nul?: boolean;
  /** Look for prototype keys (skippable when the raw text cannot hold one). */
  keys?: boolean;
  /** Count values and levels (JSON bodies; a form or query string is bounded by its parser). */
  limits?: boolean;
}

/**
 * Walks a parsed input breadth-first without recursion; throws the 400 for the first problem.
 * `depth` starts at 1 for the input itself.
 */
export function inspectInput(input: unknown, { nul = true, keys = true, limits = true }: InspectOptions = {}): void {
  if (typeof input === 'string') {
    if (nul && input.includes('\0')) throw new ValidationError({ non_field_errors: [MESSAGES.nul] });
    return;
  }
  if (!isWalkable(input)) return;
  const queue: Frame[] = [{ value: input, depth: 1, key: '', parent: undefined }];
  let values = 1;
  for (let head = 0; head < queue.length; head++) {
    const frame = queue[head]!;
    // Strings are checked in place; only containers are queued.
    const visit = (child: unknown, key: Segment) => {
      if (typeof child === 'string') {
        if (nul && child.includes('\0')) throw pathError(pathOf(frame, key), MESSAGES.nul);
      } else if (isWalkable(child)) {
        if (limits && frame.depth + 1 > MAX_DEPTH) throw pathError(pathOf(frame, key), MESSAGES.tooDeep);
        queue.push({ value: child, depth: frame.depth + 1, key, parent: frame });
      }
    };
    const value = frame.value;
    if (Array.isArray(value)) {
      values += value.length;
      if (limits && values > MAX_VALUES) throw tooManyValues();
      for (let i = 0; i < value.length; i++) visit(value[i], i);
    } else {
      const names = Object.keys(value);
      values += names.length;
      if (limits && values > MAX_VALUES) throw tooManyValues();
      for (const name of names) {
        if (keys && FORBIDDEN_KEYS.has(name)) throw pathError(pathOf(frame, name), MESSAGES.forbiddenKey);
        if (nul && name.includes('\0')) throw pathError(pathOf(frame, name), MESSAGES.nulKey);
        visit((value as Record<string, unknown>)[name], name);
      }
    }
    // Drop what was visited so a wide body does not keep the whole queue alive.
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head + 1);
      head = -1;
    }
  }
}

const tooManyValues = () => new AppError(400, 'bad_request', `The request body holds too many values (at most ${MAX_VALUES}).`);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body parser of every route: UTF-8 strictly (a malformed byte is a 400, never stored
 * as U+FFFD), then the checks above. An empty body means "no body": the web client sends
 * Content-Type: application/json on bodiless GET and DELETE too.
 */
export function parseJsonBody(raw: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new AppError(400, 'parse_error', 'The request body is not valid UTF-8.');
  }
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError(400, 'parse_error', 'Malformed JSON in the request body.');
  }
  // Cheap cases skipped: a NUL can only arrive as the escape `\u0000`; a prototype key only
  // if its name is in the text; a body too deep needs more than MAX_DEPTH brackets.
  const nul = text.includes('\\u0000');
  const keys = text.includes('__proto__') || text.includes('constructor') || text.includes('prototype');
  const limits = text.length > MAX_DEPTH * 2;
  if (nul || keys || limits) inspectInput(value, { nul, keys, limits });
  if (isWalkable(value)) checkedBodies.add(value);
  return value;
}

/** Bodies already inspected by the JSON parser, so the hook does not walk them again. */
const checkedBodies = new WeakSet<object>();

/** A flat map (query string, path parameters): keys and values, NULs and prototype keys. */
function inspectFlat(map: unknown, what: 'query' | 'params') {
  if (typeof map !== 'object' || map === null) return;
  for (const name of Object.keys(map)) {
    if (FORBIDDEN_KEYS.has(name)) throw pathError([name], MESSAGES.forbiddenKey);
    if (name.includes('\0')) throw new ValidationError({ non_field_errors: [MESSAGES.nulKey] });
    const value = (map as Record<string, unknown>)[name];
    if (typeof value === 'string') {
      if (value.includes('\0')) throw what === 'params' ? new AppError(400, 'bad_request', 'The URL contains a null character.') : pathError([name], MESSAGES.nul);
    } else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string' && item.includes('\0')) throw pathError([name], MESSAGES.nul);
    }
  }
}

/**
 * Registered after the multipart plugin (whose own preValidation hook builds the nested body):
 * bodies not from the JSON parser, query strings and path parameters of every route.
 */
export function registerInputGuards(app: FastifyInstance) {
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      inspectFlat(request.query, 'query');
      inspectFlat(request.params, 'params');
      const body = request.body;
      if (body !== undefined && body !== null && !(typeof body === 'object' && checkedBodies.has(body))) inspectInput(body);
    } catch (err) {
      return done(err as Error);
    }
    done();
  });
}

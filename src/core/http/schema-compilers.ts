// Zod on the way in, compiled JSON serialisation on the way out.
// Requests are parsed by the route's Zod schema (coercion, defaults, field errors in DRF shape).
// Responses are written by fast-json-stringify from the JSON Schema of the route's Zod response
// schema: the schema stays the allow-list (unknown properties are dropped) without paying for
// a Zod parse of every large list.
import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';
import fastJson from 'fast-json-stringify';
import { z } from 'zod';
import { ValidationError, nestFieldErrors } from './errors.ts';

z.config({
  customError: (issue) => {
    // A union (string | number ids and amounts) fails as one issue: it gets one message too.
    if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined) return 'This field is required.';
    if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === null) return 'This field may not be null.';
    if (issue.code === 'unrecognized_keys') return `Unknown field(s): ${issue.keys.join(', ')}.`;
    return plainMessage(issue);
  },
});

type Issue = z.core.$ZodRawIssue;

/** What a value should have been, in words: `string` → "text". */
const KIND: Record<string, string> = {
  string: 'text', number: 'a number', int: 'a whole number', bigint: 'a whole number', boolean: 'true or false',
  array: 'a list', object: 'an object', date: 'a date',
};
const kind = (expected: unknown) => KIND[String(expected)] ?? `a value of type ${String(expected)}`;

/** Zod's own texts ("Invalid input: expected number, received NaN") said as DRF says them. */
function plainMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'number') return 'A valid number is required.';
      if (issue.expected === 'int') return 'A valid integer is required.';
      return `Expected ${kind(issue.expected)}.`;
    case 'invalid_union': {
      // Every branch refused the type: name the types once (`Expected text or a number.`).
      const expected = (issue.errors as { code: string; expected?: string }[][]).map((branch) => branch[0]);
      if (expected.every((i) => i?.code === 'invalid_type')) return `Expected ${[...new Set(expected.map((i) => kind(i!.expected)))].join(' or ')}.`;
      return 'Enter a valid value.';
    }
    case 'invalid_value':
      return `"${String(issue.input)}" is not a valid choice.`;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(small ? issue.minimum : issue.maximum);
      if (issue.origin === 'string') return `Ensure this field has ${small ? 'at least' : 'no more than'} ${bound} characters.`;
      if (issue.origin === 'array' || issue.origin === 'set') return `Ensure this field has ${small ? 'at least' : 'no more than'} ${bound} elements.`;
      const relation = `${small ? 'greater' : 'less'} than${issue.inclusive === false ? '' : ' or equal to'}`;
      return `Ensure this value is ${relation} ${bound}.`;
    }
    case 'invalid_format':
      return issue.format === 'email' ? 'Enter a valid email address.' : 'Enter a valid value.';
    case 'not_multiple_of':
      return `Ensure this value is a multiple of ${String(issue.divisor)}.`;
    case 'custom':
      return 'Enter a valid value.';
    default:
      return undefined;
  }
}

export const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: new ValidationError(nestFieldErrors(result.error.issues)) };
  };

function isZod(schema: unknown): schema is z.ZodType {
  return typeof schema === 'object' && schema !== null && '_zod' in schema;
}

type Serialize = (data: unknown) => string;

/** Compiled serialisers by JSON Schema text: many routes answer the same shapes (errors, pages, a deal). */
const compiled = new Map<string, Serialize>();

type JsonSchema = { [key: string]: unknown };
const isNullSchema = (s: unknown) => typeof s === 'object' && s !== null && (s as JsonSchema).type === 'null' && Object.keys(s).length === 1;

/**
 * Zod writes `.nullable()` as `anyOf: [X, {type: 'null'}]`, which fast-json-stringify serialises
 * by validating the value against X with Ajv first (a deal's invoice, verifier… on every
 * response). `nullable: true` on X is the same output, written directly.
 */
export function nullableInPlaceOfAnyOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(nullableInPlaceOfAnyOf);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: JsonSchema = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, nullableInPlaceOfAnyOf(v)]));
  // A nullable id is written `type: ['integer', 'null']`: Ajv would refuse the decimal string it is given.
  if (Array.isArray(out.type) && out.type.length === 2 && out.type.includes('null')) return { ...out, type: out.type.find((t) => t !== 'null'), nullable: true };
  const options = out.anyOf;
  if (!Array.isArray(options) || options.length !== 2) return out;
  const value = options.find((o) => !isNullSchema(o)) as JsonSchema | undefined;
  if (!value || !options.some(isNullSchema) || '$ref' in value || 'anyOf' in value || 'nullable' in value || 'type' in out) return out;
  const { anyOf: _anyOf, ...siblings } = out;
  return { ...siblings, ...value, nullable: true };
}

function compile(schema: z.ZodType): Serialize {
  const jsonSchema = nullableInPlaceOfAnyOf(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any', target: 'draft-7' }));
  const key = JSON.stringify(jsonSchema);
  let serialize = compiled.get(key);
  if (serialize) return serialize;
  try {
    serialize = fastJson(jsonSchema as Parameters<typeof fastJson>[0]) as Serialize;
  } catch {
    // A schema fast-json-stringify cannot compile falls back to an exact Zod pass.
    serialize = (data) => JSON.stringify(schema.parse(data));
  }
  compiled.set(key, serialize);
  return serialize;
}

/**
 * Compiled on a route's first response, once per distinct schema: the generated code of every
 * route and status (~130 serialisers, 6 MB of source kept by V8) is otherwise held from start
 * whether or not the route is ever called.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = ({ schema }) => {
  if (!isZod(schema)) return (data) => JSON.stringify(data);
  let serialize: Serialize | undefined;
  return (data) => (serialize ??= compile(schema))(data);
};

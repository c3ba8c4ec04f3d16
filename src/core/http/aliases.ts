// Other names for body fields: the seeds document some fields under names of their own
// (`payment_amount`, `team_name`) where the API, like the web client, says `received_amount`,
// `name`. A route that takes both validates an alias with its field's own schema, hands the
// service the API's name, and reports errors under the name the client sent.
import { z } from 'zod';
import { AppError, type FieldErrors } from './errors.ts';

/** On a parsed body: API name → the alias the client used for it. */
const SENT_AS = Symbol('sentAs');

type Shape = Record<string, z.ZodType>;
type Aliases<S extends Shape> = Record<string, keyof S & string>;

const present = (body: unknown, key: string) => typeof body === 'object' && body !== null && (body as Record<string, unknown>)[key] !== undefined;

/**
 * `z.object(shape)` that also accepts `alias` for each `aliases[alias]` field. Sending both
 * names is refused; a required field is required under either name.
 */
export function withAliases<S extends Shape>(shape: S, aliases: Aliases<S>) {
  const fields: Shape = { ...shape };
  for (const [alias, name] of Object.entries(aliases)) {
    fields[name] = shape[name]!.optional();
    fields[alias] = shape[name]!.optional().describe(`Another name for ${name} (seed 000).`);
  }
  let schema: z.ZodType = z.object(fields);
  for (const [alias, name] of Object.entries(aliases)) {
    const required = !shape[name]!.safeParse(undefined).success;
    // `when`: checked even when other fields failed, so that one answer lists every problem.
    const onObjects = { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) };
    schema = schema
      .refine((b) => !(present(b, alias) && present(b, name)), { ...onObjects, path: [alias], message: `Send either ${name} or ${alias}, not both.` })
      .refine((b) => !required || present(b, alias) || present(b, name), { ...onObjects, path: [name], message: 'This field is required.' });
  }
  return schema.transform((body) => {
    const out: Record<string | symbol, unknown> = { ...(body as Record<string, unknown>) };
    const sentAs: Record<string, string> = {};
    for (const [alias, name] of Object.entries(aliases)) {
      if (out[alias] !== undefined) {
        out[name] = out[alias];
        sentAs[name] = alias;
      }
      delete out[alias];
    }
    out[SENT_AS] = sentAs;
    return out as z.output<z.ZodObject<S>>;
  });
}

/** Runs work for a body parsed by withAliases; its field errors name the fields as sent. */
export async function reportingAliases<T>(body: object, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const sentAs = (body as { [SENT_AS]?: Record<string, string> })[SENT_AS];
    if (!(err instanceof AppError) || !err.fields || !sentAs) throw err;
    const fields: FieldErrors = Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [sentAs[k] ?? k, v]));
    throw new AppError(err.statusCode, err.code, err.message, fields, err.headers);
  }
}

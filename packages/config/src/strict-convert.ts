import { Kind, type TObject, type TSchema } from '@sinclair/typebox';

// Environment variables, URL params, query strings and headers arrive as strings. Integers are
// converted strictly: "42" is 42, but "1.5", "1e3", "0x10" and " 7" stay strings and then fail
// validation. (TypeBox's Value.Convert would parseInt them into 1, 1, 16 and 7.)
const INTEGER = /^-?(0|[1-9]\d*)$/;

/** A shallow copy of `value` with the integer-typed properties of `schema` converted. */
export function convertIntegerStrings(schema: TObject, value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const converted: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, property] of Object.entries(schema.properties as Record<string, TSchema>)) {
    const raw = converted[name];
    if (typeof raw === 'string' && property[Kind] === 'Integer' && INTEGER.test(raw)) converted[name] = Number(raw);
  }
  return converted;
}

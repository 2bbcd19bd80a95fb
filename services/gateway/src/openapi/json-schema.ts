export interface StringFacets {
  enum?: readonly (string | null)[];
  format?: 'uuid' | 'date-time' | 'email' | 'uri';
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  description?: string;
}

/** The subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it) the gateway's document uses. */
export type JsonSchema =
  | { $ref: string; description?: string }
  | {
      type: 'object';
      properties: Record<string, JsonSchema>;
      required?: readonly string[];
      additionalProperties?: false | JsonSchema;
      description?: string;
    }
  | { type: 'array'; items: JsonSchema; description?: string }
  | ({ type: 'string' | ['string', 'null'] } & StringFacets)
  | {
      type: 'integer' | 'number' | ['integer', 'null'];
      minimum?: number;
      maximum?: number;
      description?: string;
    }
  | { type: 'boolean'; description?: string }
  | { type: 'null' }
  | { oneOf: readonly JsonSchema[]; description?: string };

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** An object whose listed properties are all required unless named in `optional`. */
export function object(
  properties: Record<string, JsonSchema>,
  optional: readonly string[] = [],
  description?: string,
): JsonSchema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((p) => !optional.includes(p)),
    additionalProperties: false,
    ...(description === undefined ? {} : { description }),
  };
}

export const str = (extra: StringFacets = {}): JsonSchema => ({ type: 'string', ...extra });
export const nullableStr = (extra: StringFacets = {}): JsonSchema => ({
  type: ['string', 'null'],
  ...extra,
});
export const int = (description?: string): JsonSchema => ({
  type: 'integer',
  ...(description === undefined ? {} : { description }),
});
export const uuid = str({ format: 'uuid' });
export const dateTime = str({ format: 'date-time' });
export const nullableDateTime = nullableStr({ format: 'date-time' });
export const bool: JsonSchema = { type: 'boolean' };
export const array = (items: JsonSchema): JsonSchema => ({ type: 'array', items });

/**
 * One page of a list read with `?cursor=`: the items (under `field`) and the cursor of the next
 * page, null on the last.
 */
export const paged = (
  item: JsonSchema,
  options: { field?: string; next?: string } = {},
): JsonSchema =>
  object({
    [options.field ?? 'items']: array(item),
    nextCursor: nullableStr({ description: options.next ?? 'pass as cursor for the next page' }),
  });

/** The value, or null. */
export const nullable = (schema: JsonSchema): JsonSchema => ({ oneOf: [{ type: 'null' }, schema] });

/**
 * Names the shared schemas of an OpenAPI 3.1 document once: every schema object with a `title` moves to
 * `components.schemas[title]` and each place it stood gets a `$ref` to it, so that a client generated from the
 * document has one type per resource rather than a copy in every response.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The parts of a document this reads: its paths and its components. */
interface OpenapiDocument {
  paths?: Record<string, unknown>;
  components?: { schemas?: Record<string, unknown>; [key: string]: unknown };
  [key: string]: unknown;
}

const SCHEMAS_PATH = '#/components/schemas/';

// JSON Schema 2020-12 keywords by the shape of their value; every other keyword holds data or annotations
// (enum, const, default, examples), which are copied as they are, titles and all.
const ONE_SCHEMA = new Set([
  'items',
  'additionalItems',
  'additionalProperties',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
]);
const SCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SCHEMA_MAP = new Set(['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions']);
// Outside schemas, media and parameter objects carry examples: data, never walked.
const DATA_KEYS = new Set(['example', 'examples']);

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON text with every object's keys sorted, so that two copies of a schema compare equal. */
function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (!isObject(value)) return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key]!)}`).join(',')}}`;
}

const mapValues = (object: JsonObject, map: (value: Json) => Json): JsonObject =>
  Object.fromEntries(Object.entries(object).map(([key, value]) => [key, map(value)]));

/** Hoists the titled schemas it meets into `schemas`, keyed by title; throws on two different ones. */
class Hoister {
  readonly schemas: JsonObject;

  constructor(schemas: JsonObject) {
    this.schemas = { ...schemas };
  }

  /** A copy of `schema` in which every titled schema, itself included, is a `$ref` to its component. */
  schema(schema: Json): Json {
    if (!isObject(schema)) return schema;
    const copy = this.subschemas(schema);
    if (typeof schema.title !== 'string') return copy;
    this.add(schema.title, copy);
    return { $ref: SCHEMAS_PATH + schema.title };
  }

  /** A copy of `schema` with its subschemas hoisted, itself kept in place. */
  subschemas(schema: JsonObject): JsonObject {
    const copy: JsonObject = {};
    for (const [key, value] of Object.entries(schema)) {
      if (ONE_SCHEMA.has(key))
        copy[key] = Array.isArray(value) ? value.map((item) => this.schema(item)) : this.schema(value);
      else if (SCHEMA_LIST.has(key) && Array.isArray(value))
        copy[key] = value.map((item) => this.schema(item));
      else if (SCHEMA_MAP.has(key) && isObject(value))
        copy[key] = mapValues(value, (item) => this.schema(item));
      else copy[key] = value;
    }
    return copy;
  }

  /** A copy of an OpenAPI object (a path, an operation, a response…) with the schemas under it hoisted. */
  openapi(node: Json): Json {
    if (Array.isArray(node)) return node.map((item) => this.openapi(item));
    if (!isObject(node)) return node;
    const copy: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (DATA_KEYS.has(key)) copy[key] = value;
      else if (key === 'schema') copy[key] = this.schema(value);
      else copy[key] = this.openapi(value);
    }
    return copy;
  }

  private add(title: string, schema: JsonObject) {
    const known = this.schemas[title];
    if (known === undefined) this.schemas[title] = schema;
    else if (canonical(known) !== canonical(schema))
      throw new Error(
        `Two different schemas are titled "${title}": a title names one schema in the OpenAPI document's components`,
      );
  }
}

/**
 * The document with every schema that has a `title` in `components.schemas` under that title (the first
 * occurrence; titled schemas nested in it are hoisted too) and `{ $ref }` wherever it was. Throws when two
 * different schemas have the same title, or a title is already the name of a different component.
 */
export function hoistTitledSchemas<D extends object>(
  document: D,
): D & { components: { schemas: Record<string, unknown> } } {
  const { paths, components } = document as OpenapiDocument;
  const existing = (components?.schemas ?? {}) as JsonObject;
  const hoister = new Hoister(existing);
  // Components already there (schemas with an `$id`) keep their names; what they nest is hoisted.
  for (const [name, schema] of Object.entries(existing))
    hoister.schemas[name] = isObject(schema) ? hoister.subschemas(schema) : schema;
  return {
    ...document,
    ...(paths && { paths: hoister.openapi(paths as JsonObject) }),
    components: { ...components, schemas: hoister.schemas },
  };
}

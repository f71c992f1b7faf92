/**
 * Names the shared parts of an OpenAPI 3.1 document once: every schema object with a `title` moves to
 * `components.schemas[title]`, and every response given alike in several places (the problem+json of every error)
 * to `components.responses`, each place they stood getting a `$ref`, so that a client generated from the document
 * has one type per resource rather than a copy in every response.
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
const RESPONSES_PATH = '#/components/responses/';

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

/** The component a response refers to all of its content by, when it has one media type holding a `$ref`. */
function responseName(response: Json): string | undefined {
  if (!isObject(response) || !isObject(response.content)) return undefined;
  const media = Object.values(response.content);
  if (media.length !== 1 || !isObject(media[0]) || !isObject(media[0].schema)) return undefined;
  const target = media[0].schema.$ref;
  return typeof target === 'string' && target.startsWith(SCHEMAS_PATH)
    ? target.slice(SCHEMAS_PATH.length)
    : undefined;
}

/** Every operation's responses, as [status, response] entries, in document order. */
function* responsesOf(paths: JsonObject): Generator<[JsonObject, string]> {
  for (const item of Object.values(paths))
    if (isObject(item))
      for (const operation of Object.values(item))
        if (isObject(operation) && isObject(operation.responses))
          for (const status of Object.keys(operation.responses)) yield [operation.responses, status];
}

/**
 * The document (its schemas hoisted) with each response that stands alike in more than one place, and is all one
 * component schema, in `components.responses` under that schema's name, and `{ $ref }` wherever it was.
 */
export function hoistSharedResponses<D extends { paths?: unknown; components?: object }>(document: D): D {
  const paths = structuredClone(document.paths ?? {}) as JsonObject;
  const seen = new Map<string, { name: string; count: number; response: Json }>();
  for (const [responses, status] of responsesOf(paths)) {
    const name = responseName(responses[status]!);
    if (name === undefined) continue;
    const key = canonical(responses[status]!);
    const known = seen.get(key);
    seen.set(key, { name, count: (known?.count ?? 0) + 1, response: responses[status]! });
  }
  const shared = new Map<string, string>();
  const components: JsonObject = { ...((document.components as { responses?: JsonObject }).responses ?? {}) };
  for (const [key, { name, count, response }] of seen) {
    if (count < 2 || components[name] !== undefined) continue;
    components[name] = response;
    shared.set(key, name);
  }
  if (shared.size === 0) return document;
  for (const [responses, status] of responsesOf(paths)) {
    const name = shared.get(canonical(responses[status]!));
    if (name !== undefined) responses[status] = { $ref: RESPONSES_PATH + name };
  }
  return { ...document, paths, components: { ...document.components, responses: components } };
}

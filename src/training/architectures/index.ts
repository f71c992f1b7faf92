import { Type, type Static, type TLiteral, type TObject } from 'typebox';
import { badRequest } from '../../errors.js';
import type { ArchitectureDefinition } from './architecture.js';
import { cnn } from './cnn.js';
import { mlp } from './mlp.js';

/** Every architecture a job can train from scratch, each imported above and listed once. */
export const ARCHITECTURES = [mlp, cnn] as const satisfies readonly ArchitectureDefinition[];

export type RegisteredArchitecture = (typeof ARCHITECTURES)[number];

/** A job spec's `architecture`: one of the registered architectures with its defaults filled in. */
export type Architecture = ReturnType<RegisteredArchitecture['resolve']>;

type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (both: infer I) => void
  ? I
  : never;
type AllFields = UnionToIntersection<RegisteredArchitecture['fields']>;

// A field two architectures share must mean the same in both: refuse a clash at start-up.
const declaredBy = new Map<string, RegisteredArchitecture[]>();
for (const definition of ARCHITECTURES) {
  for (const [field, schema] of Object.entries(definition.fields)) {
    const others = declaredBy.get(field) ?? [];
    const other = others[0];
    if (other && JSON.stringify(other.fields[field as keyof typeof other.fields]) !== JSON.stringify(schema))
      throw new Error(
        `architectures '${other.type}' and '${definition.type}' declare '${field}' differently`,
      );
    declaredBy.set(field, [...others, definition]);
  }
}

/** The fields of all architectures together, in registry order. */
const ALL_FIELDS = Object.assign({}, ...ARCHITECTURES.map((definition) => definition.fields)) as AllFields;

type VariantsOf<Definitions extends readonly unknown[]> = {
  -readonly [K in keyof Definitions]: Definitions[K] extends { type: infer T extends string }
    ? TObject<AllFields & { type: TLiteral<T> }>
    : never;
};

/**
 * The request's `architecture`: a union discriminated on `type`. Every variant takes every architecture's
 * fields (with the same schemas), so that a field sent with the wrong type passes the schema and
 * {@link checkArchitectureRequest} answers it as a 400 `invalid_job` naming it. `type` comes last: AJV names
 * the first violation of the first variant, which is then the field's own (the same in every variant), not the
 * other variants' `type`.
 */
export const ArchitectureRequestSchema = Type.Union(
  ARCHITECTURES.map((definition) =>
    Type.Object(
      { ...ALL_FIELDS, type: Type.Literal(definition.type) },
      { additionalProperties: false, description: definition.description },
    ),
  ) as unknown as VariantsOf<typeof ARCHITECTURES>,
);
export type ArchitectureRequest = Static<typeof ArchitectureRequestSchema>;

const byType = new Map<string, ArchitectureDefinition>(
  ARCHITECTURES.map((definition) => [definition.type, definition]),
);

/** The definition of a registered architecture type (the request schema admits no other). */
export function architectureOf(type: string): ArchitectureDefinition {
  const definition = byType.get(type);
  if (!definition) throw new Error(`no architecture '${type}' is registered`);
  return definition;
}

/** The spec's architecture for a request's: its defaults filled in. */
export const resolveArchitecture = (request: ArchitectureRequest): Architecture =>
  architectureOf(request.type).resolve(request) as Architecture;

const OWNERS = new Intl.ListFormat('en', { type: 'disjunction' });

/**
 * The architecture's own request checks, then the fields that belong to other architectures: a 400
 * `invalid_job` naming the first (in registry order) and the architectures it applies to.
 */
export function checkArchitectureRequest(request: ArchitectureRequest): void {
  const definition = architectureOf(request.type);
  definition.checkRequest(request);
  const sent = request as Record<string, unknown>;
  const foreign = Object.keys(ALL_FIELDS).find(
    (field) => !Object.hasOwn(definition.fields, field) && sent[field] !== undefined,
  );
  if (!foreign) return;
  const owners = OWNERS.format((declaredBy.get(foreign) ?? []).map((owner) => `'${owner.type}'`));
  const hint = definition.hints?.[foreign];
  throw badRequest(
    'invalid_job',
    `'${foreign}' applies only to ${owners} architectures${hint ? ` (${hint})` : ''}`,
    { field: `/architecture/${foreign}` },
  );
}

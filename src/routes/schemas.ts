import { Type, type TSchema } from 'typebox';
import { idPattern, type IdKind } from '../ids.js';

/** RFC 9457 problem details, as every error response carries them. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable error code' }),
    detail: Type.String(),
    instance: Type.String(),
    requestId: Type.String(),
  },
  { title: 'Problem', additionalProperties: true },
);

export const IdParams = (kind: IdKind) => Type.Object({ id: Type.String({ pattern: idPattern(kind) }) });

/** Error responses a route may give, all problem+json. */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      status,
      // Keyed by media type, so that the document says what is sent; the serializer picks it by the same type.
      {
        description: 'RFC 9457 problem details',
        content: { 'application/problem+json': { schema: ProblemSchema } },
      },
    ]),
  );

/** The page size when `?limit=` is left out. */
export const DEFAULT_PAGE_SIZE = 20;

/** `?limit=&cursor=` as a list reads it: the limit given, or the default. */
export const pageOf = <Q extends { limit?: number; cursor?: string }>(query: Q) => ({
  ...query,
  limit: query.limit ?? DEFAULT_PAGE_SIZE,
});

/** `?limit=&cursor=` of a list route over ids of one kind. */
export const PageQuery = (kind: IdKind) =>
  Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })),
      cursor: Type.Optional(
        Type.String({ pattern: idPattern(kind), description: 'nextCursor of the previous page' }),
      ),
    },
    { additionalProperties: false },
  );

/** A page of items and the cursor of the next page (null on the last). */
export const PageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

/** The Idempotency-Key header of a route that creates a job or a sweep. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'Makes retries safe: the same key and body give the same job or sweep (for 24 h by default)',
    }),
  ),
});

import { Type } from 'typebox';
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
  { additionalProperties: true },
);

export const IdParams = (kind: IdKind) => Type.Object({ id: Type.String({ pattern: idPattern(kind) }) });

/** Error responses a route may give, all problem+json. */
export const problems = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, ProblemSchema]));

import { Type, type TSchema } from 'typebox';

/**
 * A record keyed by any string. `Type.Record(Type.String(), …)` compiles to the pattern `^.*$`, which does not
 * match a key holding a newline: such keys would escape the value schema when validating and be dropped when
 * serializing. This pattern matches every string.
 */
export const StringRecord = <V extends TSchema>(value: V, options: Record<string, unknown> = {}) =>
  Type.Record(Type.String({ pattern: '^[\\s\\S]*$' }), value, options);

/** Reading layer configs as TF.js does: keys and string values from snake_case to camelCase. */

/** Shapes leave out the batch dimension; `null` is a dimension (or a whole shape) not known before TF.js runs. */
export type Dim = number | null;
export type Shape = Dim[] | null;

/** A layer config that TF.js would misread, or that asks for nonsense; the caller names the layer. */
export class LayerConfigError extends Error {}

/** TF.js's own snake_case to camelCase conversion of config keys and string values. */
export const camel = (key: string) =>
  key.length <= 1 || !key.includes('_') ? key : key.replace(/_+(\w|$)/g, (_, c: string) => c.toUpperCase());

/** A member of a config object as TF.js sees it: the last key that reads the same in camelCase. */
export function member(node: unknown, key: string): unknown {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  const wanted = camel(key);
  let found: unknown;
  for (const [k, v] of Object.entries(node)) if (camel(k) === wanted) found = v;
  return found;
}

export const isDim = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) > 0;

export function int(config: unknown, key: string, fallback?: number): number {
  const value = member(config, key) ?? fallback;
  if (!isDim(value))
    throw new LayerConfigError(
      `'${key}' must be a positive integer, not ${JSON.stringify(value) ?? 'given'}`,
    );
  return value;
}

/** An int or a list of `n` ints, as kernel sizes, strides and pool sizes are given. */
export function ints(config: unknown, key: string, n: number, fallback?: number[]): number[] {
  const raw = member(config, key) ?? fallback;
  const list = typeof raw === 'number' ? new Array<unknown>(n).fill(raw) : raw;
  if (!Array.isArray(list) || list.length !== n || !list.every(isDim))
    throw new LayerConfigError(`'${key}' must be a positive integer or ${n} of them`);
  return list;
}

export const text = (config: unknown, key: string, fallback: string) => {
  const value = member(config, key);
  return typeof value === 'string' ? camel(value) : fallback;
};
export const flag = (config: unknown, key: string, fallback: boolean) => {
  const value = member(config, key);
  return typeof value === 'boolean' ? value : fallback;
};

/** A shape as a model declares one (`batch_input_shape` and the like): dimensions positive or null. */
export function declaredShape(value: unknown, what: string): Dim[] {
  if (!Array.isArray(value) || !value.every((d) => d === null || isDim(d)))
    throw new LayerConfigError(`${what} must be a list of positive integers or nulls`);
  return value as Dim[];
}

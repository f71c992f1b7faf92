import seedrandom from 'seedrandom';
import { badRequest, unprocessable } from '../errors.js';
import {
  DIMENSIONS,
  entriesOf,
  type SearchSpace,
  type SpaceEntry,
  type TrialSettings,
} from './search-space.js';

/** The most trials a sweep may run. */
export const MAX_TRIALS = 100;

type Rng = () => number;

type ListEntries = Array<[string, { values: unknown[] }]>;

/** The grid's combination number `index`, the first entry's values varying slowest (mixed radix). */
function combination(entries: ListEntries, index: number): TrialSettings {
  const picks: number[] = [];
  let rest = index;
  for (let i = entries.length - 1; i >= 0; i--) {
    const { length } = entries[i]![1].values;
    picks[i] = rest % length;
    rest = Math.floor(rest / length);
  }
  return Object.fromEntries(entries.map(([name, { values }], i) => [name, values[picks[i]!]]));
}

/** `count` distinct numbers below `size`, drawn with `rng`, in increasing order; never more work than `count`. */
function distinct(size: number, count: number, rng: Rng): number[] {
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(rng() * size));
  return [...picked].sort((a, b) => a - b);
}

/** A value drawn from an entry: one of its values, or a point of its range on the dimension's scale. */
function draw(name: keyof typeof DIMENSIONS, entry: SpaceEntry, rng: Rng): unknown {
  if ('values' in entry) return entry.values[Math.floor(rng() * entry.values.length)];
  const dimension = DIMENSIONS[name];
  const log = (entry.scale ?? dimension.scale) === 'log';
  const [low, high] = log ? [Math.log(entry.min), Math.log(entry.max)] : [entry.min, entry.max];
  const value = log ? Math.exp(low + rng() * (high - low)) : low + rng() * (high - low);
  return dimension.integer ? Math.round(value) : Number(value.toPrecision(6));
}

/** The space's own consistency: values or a range, ranges the right way round, only lists in a grid. */
function checkSpace(space: SearchSpace, method: 'grid' | 'random'): void {
  const refuse = (detail: string, field: string) => badRequest('invalid_sweep', detail, { field });
  for (const [name, entry] of entriesOf(space)) {
    const range = entry as { values?: unknown[]; min?: number; max?: number; scale?: string };
    const bounds = range.min !== undefined || range.max !== undefined || range.scale !== undefined;
    if (range.values !== undefined && bounds)
      throw refuse(`space.${name}: give values or a range (min, max), not both`, `/space/${name}`);
    if (range.values !== undefined) continue;
    if (method === 'grid')
      throw refuse(`a grid tries listed values: give space.${name}.values, not a range`, `/space/${name}`);
    for (const bound of ['min', 'max'] as const)
      if (range[bound] === undefined)
        throw refuse(`space.${name} needs values, or a range with min and max`, `/space/${name}/${bound}`);
    if (range.min! > range.max!)
      throw refuse(`space.${name}: min ${range.min} is above max ${range.max}`, `/space/${name}/max`);
    if ((range.scale ?? DIMENSIONS[name].scale) === 'log' && range.min! <= 0)
      throw refuse(`space.${name}: a log scale needs min above 0`, `/space/${name}/min`);
  }
}

/**
 * The settings of each trial. A grid runs every combination of the listed values, or, with fewer `trials`, as
 * many of them picked at random (kept in grid order); a random search draws each setting of each trial. Seeded: the same request
 * plans the same trials.
 */
export function planTrials(
  space: SearchSpace,
  { method, trials, seed }: { method: 'grid' | 'random'; trials: number | undefined; seed: number },
): TrialSettings[] {
  checkSpace(space, method);
  const rng = seedrandom(`sweep ${seed}`);
  const entries = entriesOf(space);
  if (method === 'random') {
    const count = trials ?? 10;
    return Array.from({ length: count }, () =>
      Object.fromEntries(entries.map(([name, entry]) => [name, draw(name, entry, rng)])),
    );
  }
  const lists = entries as ListEntries;
  // Counted, not listed: a grid of many long lists is refused without being built.
  const size = lists.reduce((n, [, { values }]) => n * values.length, 1);
  if (trials === undefined && size > MAX_TRIALS)
    throw unprocessable(
      'invalid_sweep',
      `the grid has ${size} combinations, over the ${MAX_TRIALS} trials a sweep may run: give 'trials' to run some of them`,
      { field: '/space' },
    );
  if (trials !== undefined && trials > size)
    throw unprocessable(
      'invalid_sweep',
      `the grid has ${size} combinations, fewer than the ${trials} trials asked for`,
      { field: '/trials' },
    );
  const indices =
    trials === undefined || trials === size
      ? Array.from({ length: size }, (_, i) => i)
      : distinct(size, trials, rng);
  return indices.map((index) => combination(lists, index));
}

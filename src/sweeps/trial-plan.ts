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

/** Every combination of the entries' values, the first entry's varying slowest. */
function grid(entries: Array<[string, { values: unknown[] }]>): TrialSettings[] {
  return entries.reduce<TrialSettings[]>(
    (combinations, [name, { values }]) =>
      combinations.flatMap((settings) => values.map((value) => ({ ...settings, [name]: value }))),
    [{}],
  );
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

/** The space's own consistency: ranges the right way round, and only lists in a grid. 400s naming the entry. */
function checkSpace(space: SearchSpace, method: 'grid' | 'random'): void {
  for (const [name, entry] of entriesOf(space)) {
    if ('values' in entry) continue;
    if (method === 'grid')
      throw badRequest(
        'invalid_sweep',
        `a grid tries listed values: give space.${name}.values, not a range`,
        {
          field: `/space/${name}`,
        },
      );
    if (entry.min > entry.max)
      throw badRequest('invalid_sweep', `space.${name}: min ${entry.min} is above max ${entry.max}`, {
        field: `/space/${name}/max`,
      });
    if ((entry.scale ?? DIMENSIONS[name].scale) === 'log' && entry.min <= 0)
      throw badRequest('invalid_sweep', `space.${name}: a log scale needs min above 0`, {
        field: `/space/${name}/min`,
      });
  }
}

/**
 * The settings of each trial. A grid runs every combination of the listed values, or, with fewer `trials`, as
 * many of them picked at random; a random search draws each setting of each trial. Seeded: the same request
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
  const all = grid(entries as Array<[string, { values: unknown[] }]>);
  if (trials === undefined && all.length > MAX_TRIALS)
    throw unprocessable(
      'invalid_sweep',
      `the grid has ${all.length} combinations, over the ${MAX_TRIALS} trials a sweep may run: give 'trials' to run some of them`,
      { field: '/space' },
    );
  if (trials !== undefined && trials > all.length)
    throw unprocessable(
      'invalid_sweep',
      `the grid has ${all.length} combinations, fewer than the ${trials} trials asked for`,
      { field: '/trials' },
    );
  if (trials === undefined || trials === all.length) return all;
  // A seeded shuffle's first `trials`, kept in grid order.
  const picked = all
    .map((settings, index) => ({ index, key: rng() }))
    .sort((a, b) => a.key - b.key)
    .slice(0, trials)
    .sort((a, b) => a.index - b.index);
  return picked.map(({ index }) => all[index]!);
}

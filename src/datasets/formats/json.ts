import secureJson from 'secure-json-parse';
import { badRequest } from '../../errors.js';
import { nextMacrotask } from '../../event-loop.js';
import { bodyOf, defineFormat } from '../dataset-format.js';
import { RowCollector, ROWS_PER_TURN, type ParseLimits } from '../rows.js';

/** The body as JSON, refusing `__proto__` and `constructor` keys as the default Fastify parser would. */
function readJson(body: Buffer): unknown {
  try {
    return secureJson.parse(body.toString('utf8'), undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    });
  } catch (error) {
    throw badRequest('invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Parses a JSON value `{"x": [...rows], "y": [...labels]}`. */
async function parseColumns(body: unknown, limits: ParseLimits) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('invalid_dataset', 'the body must be an object {"x": [...], "y": [...]}', {
      field: '/',
    });
  }
  const { x, y } = body as { x?: unknown; y?: unknown };
  if (!Array.isArray(x))
    throw badRequest('invalid_dataset', "'x' must be an array of feature rows", { field: '/x' });
  if (!Array.isArray(y))
    throw badRequest('invalid_dataset', "'y' must be an array of labels", { field: '/y' });
  if (x.length !== y.length) {
    throw badRequest('invalid_dataset', `'x' has ${x.length} rows but 'y' has ${y.length} labels`, {
      field: '/y',
    });
  }
  const collector = new RowCollector(limits);
  for (let i = 0; i < x.length; i++) {
    collector.addJson(x[i], y[i], i + 1);
    if ((i + 1) % ROWS_PER_TURN === 0) await nextMacrotask();
  }
  return collector.finish();
}

export const json = defineFormat({
  name: 'json',
  kind: 'tabular',
  mediaTypes: ['application/json'],
  description: 'One object {"x": [...rows], "y": [...labels]}: x the feature rows, y their labels in order.',
  options: {},
  parse: async (input, _options, limits) => parseColumns(readJson(await bodyOf(input)), limits),
});

import { nextMacrotask } from '../../event-loop.js';
import { bodyOf, defineFormat } from '../dataset-format.js';
import { rowError, RowCollector, ROWS_PER_TURN } from '../rows.js';

export const ndjson = defineFormat({
  name: 'ndjson',
  kind: 'tabular',
  mediaTypes: ['application/x-ndjson'],
  description: 'One JSON object {"x": [...], "y": label} per line; x a (nested) number array, y the label.',
  options: {},
  // Line by line, so a bad line is reported by its row number.
  async parse(input, _options, limits) {
    const body = await bodyOf(input);
    const collector = new RowCollector(limits);
    let row = 0;
    for (let start = 0; start < body.byteLength;) {
      let end = body.indexOf(0x0a, start);
      if (end < 0) end = body.byteLength;
      const line = body.toString('utf8', start, end);
      start = end + 1;
      if (line.trim() === '') continue;
      row += 1;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw rowError(row, null, 'the line is not valid JSON');
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw rowError(row, null, 'the line must be an object {"x": [...], "y": label}');
      }
      const { x, y } = value as { x?: unknown; y?: unknown };
      collector.addJson(x, y, row);
      if (row % ROWS_PER_TURN === 0) await nextMacrotask();
    }
    return collector.finish();
  },
});

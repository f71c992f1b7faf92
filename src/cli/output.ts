/**
 * Output for people or for scripts: with `--json` a command's result is JSON on stdout (one document, or one
 * line per item for streams such as `jobs logs`) and nothing else is printed there; notes for people go to
 * stderr and are silent with `--json`.
 */
export interface Output {
  readonly json: boolean;
  /** The command's result: `value` as JSON with --json, else the lines `human` makes of it. */
  result: (value: unknown, human: () => string | string[]) => void;
  /** One item of a stream: a JSON line with --json, else `human`. */
  item: (value: unknown, human: () => string) => void;
  /** A note for people, on stderr; none with --json. */
  note: (text: string) => void;
}

export function createOutput(json: boolean): Output {
  const print = (text: string) => process.stdout.write(`${text}\n`);
  return {
    json,
    result: (value, human) => {
      if (json) print(JSON.stringify(value, null, 2));
      else {
        const lines = human();
        print(Array.isArray(lines) ? lines.join('\n') : lines);
      }
    },
    item: (value, human) => print(json ? JSON.stringify(value) : human()),
    note: (text) => {
      if (!json) process.stderr.write(`${text}\n`);
    },
  };
}

/** Rows under a header, each column as wide as its widest cell. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)];
}

/** A number for people: a few significant digits, or '-' for none. */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** Seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

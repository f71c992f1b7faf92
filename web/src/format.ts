/** How the page writes numbers, sizes, durations and times. */

export const formatNumber = (value: number | null | undefined, digits = 4): string =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : Number(value.toPrecision(digits)).toString();

export const formatPercent = (fraction: number | null | undefined, digits = 1): string =>
  fraction === null || fraction === undefined ? '–' : `${(fraction * 100).toFixed(digits)} %`;

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A duration in seconds as `1 h 05 min`, `4 min 10 s` or `12 s`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** A timestamp in the reader's own time zone. */
export const formatTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '–';

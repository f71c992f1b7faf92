import type { JobEvent } from '../api-types.js';
import { formatNumber, formatTime } from '../format.js';

const text = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : '';

/** What an event says, in a line. */
function describe({ type, data }: JobEvent): string {
  switch (type) {
    case 'status': {
      const error = data.error as { code?: string; message?: string } | undefined;
      const parts = [text(data.status)];
      if (data.attempt !== undefined) parts.push(`attempt ${text(data.attempt)}`);
      if (data.message) parts.push(text(data.message));
      if (data.modelId) parts.push(`model ${text(data.modelId)}`);
      if (error) parts.push(`${error.code ?? ''}: ${error.message ?? ''}`);
      return parts.join(' · ');
    }
    case 'epoch':
      return `epoch ${text(data.epoch)} (${text(data.phase)}): loss ${formatNumber(data.loss as number)}, validation loss ${formatNumber(data.val_loss as number | null)}`;
    case 'log':
      return `${text(data.level)}: ${text(data.message)}`;
    case 'checkpoint':
      return `checkpoint after epoch ${text(data.epoch)}, batch ${text(data.batch)}`;
    default:
      return JSON.stringify(data);
  }
}

/** The job's events, oldest first, in a box that scrolls. */
export function JobEventsLog({ events }: { events: JobEvent[] }) {
  if (events.length === 0) return <p class="muted">No events yet.</p>;
  return (
    <ol class="events" aria-label="Events" tabIndex={0}>
      {events.map((event) => (
        <li key={event.id} class={`event event-${event.type}`}>
          <time dateTime={event.at}>{formatTime(event.at)}</time> <span class="event-type">{event.type}</span>{' '}
          {describe(event)}
        </li>
      ))}
    </ol>
  );
}

/**
 * How a watched job is shown: on a terminal a progress bar (cli-progress) with the epoch, loss, validation
 * accuracy and ETA, each finished epoch and status change printed above it; elsewhere one line per epoch and
 * status change; nothing with --json. All of it on stderr: stdout holds the command's result.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { JobEvent } from '../client/index.js';
import { eventText } from './job-lines.js';
import { formatDuration, formatNumber } from './output.js';

export interface WatchDisplay {
  event: (event: JobEvent) => void;
  /** Stops drawing (for a question on the terminal); the next event draws again. */
  pause: () => void;
  stop: () => void;
}

interface Shown {
  status: string;
  epoch: number;
  epochs: number | string;
  loss: string;
  valAcc: string;
  remaining: string;
  percent: number;
}

/** What the events so far say, kept up to date by {@link follow}. */
function follow(shown: Shown, event: JobEvent): void {
  const data = event.data as Record<string, unknown>;
  if (event.type === 'status' && typeof data.status === 'string') shown.status = data.status;
  if (event.type === 'progress') {
    shown.epoch = Number(data.epoch ?? shown.epoch);
    shown.epochs = Number(data.epochs ?? shown.epochs);
    shown.percent = Math.round(Number(data.fraction ?? 0) * 100);
    shown.remaining = formatDuration(data.etaSeconds as number | null);
  }
  if (event.type === 'epoch') {
    shown.epoch = Number(data.epoch ?? shown.epoch);
    shown.loss = formatNumber(data.loss as number | null);
    // A regression's R² where a classification's accuracy would be.
    shown.valAcc = formatNumber((data.val_accuracy ?? data.val_r2) as number | null);
  }
  if (event.type === 'status' && data.status === 'succeeded') shown.percent = 100;
}

/** Progress is the bar's; checkpoints are for `jobs logs`. */
const shownAbove = (event: JobEvent) => event.type !== 'progress' && event.type !== 'checkpoint';

const BAR_FORMAT =
  '{status} [{bar}] {percentage}% | epoch {epoch}/{epochs} | loss {loss} | val {valAcc} | ETA {remaining}';

function barDisplay(shown: Shown): WatchDisplay {
  let bars: { multi: MultiBar; bar: SingleBar } | undefined;
  const draw = () => {
    if (!bars) {
      const multi = new MultiBar(
        { format: BAR_FORMAT, hideCursor: true, clearOnComplete: false, stream: process.stderr },
        Presets.shades_classic,
      );
      bars = { multi, bar: multi.create(100, shown.percent, shown) };
    }
    return bars;
  };
  const stop = () => {
    // A last redraw prints the lines logged since the previous one (the final status among them).
    bars?.multi.update();
    bars?.multi.stop();
    bars = undefined;
  };
  return {
    event: (event) => {
      follow(shown, event);
      const { multi, bar } = draw();
      if (shownAbove(event)) multi.log(`${eventText(event, Number(shown.epochs) || undefined)}\n`);
      bar.update(shown.percent, shown);
    },
    pause: stop,
    stop,
  };
}

function lineDisplay(shown: Shown): WatchDisplay {
  return {
    event: (event) => {
      follow(shown, event);
      if (!shownAbove(event)) return;
      const eta = event.type === 'epoch' && shown.status === 'running' ? `  ETA ${shown.remaining}` : '';
      process.stderr.write(`${eventText(event, Number(shown.epochs) || undefined)}${eta}\n`);
    },
    pause: () => {},
    stop: () => {},
  };
}

/** The display for this output: silent with --json, a bar on a terminal, lines elsewhere. */
export function watchDisplay(json: boolean, epochs: number | undefined): WatchDisplay {
  const shown: Shown = {
    status: 'queued',
    epoch: 0,
    epochs: epochs ?? '?',
    loss: '-',
    valAcc: '-',
    remaining: '-',
    percent: 0,
  };
  if (json) return { event: () => {}, pause: () => {}, stop: () => {} };
  return process.stderr.isTTY ? barDisplay(shown) : lineDisplay(shown);
}

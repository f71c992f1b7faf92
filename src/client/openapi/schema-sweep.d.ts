// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export type Sweep = {
  id: string;
  name: string;
  /** @enum {unknown} */
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** @enum {unknown} */
  metric: 'val_accuracy' | 'val_loss' | 'val_r2' | 'val_mae' | 'val_rmse';
  /** @enum {unknown} */
  goal: 'max' | 'min';
  /** @enum {unknown} */
  method: 'grid' | 'random';
  parallel: number;
  alias: string | null;
  /** @description A cancel was asked for: the sweep ends cancelled once its trials have */
  cancelRequested: boolean;
  /** @description Whether the alias was moved to the best model when the sweep ended */
  aliasMoved: boolean;
  /** @description Trials by status, and how many were stopped early */
  counts: {
    [key: string]: number;
  };
  best: {
    trial: number;
    jobId: string;
    modelId: string;
    value: number;
    settings: {
      [key: string]: unknown;
    };
  } | null;
  trials: components['schemas']['Trial'][];
  /** @description The request with every default filled in */
  spec: {
    [key: string]: unknown;
  };
  /** Format: date-time */
  createdAt: string;
  finishedAt: string | null;
};

// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export type Job = {
  id: string;
  name: string;
  /** @enum {unknown} */
  status: 'queued' | 'running' | 'retrying' | 'paused' | 'succeeded' | 'failed' | 'cancelled';
  queuePosition: number | null;
  progress: {
    /**
     * @description features: the frozen base computing features of every row once, before the head trains on them (batch and batches count its prediction chunks; fraction stays that of the training batches, etaSeconds is the pass's own); head, fine-tune: training
     * @enum {unknown}
     */
    phase: 'features' | 'head' | 'fine-tune';
    epoch: number;
    epochs: number;
    batch: number;
    batches: number;
    fraction: number;
    samplesPerSecond: number | null;
    etaSeconds: number | null;
  } | null;
  etaSeconds: number | null;
  /** @description A cancel was asked for; the worker running the job stops within a batch */
  cancelRequested: boolean;
  /** @description A pause was asked for; the worker running the job checkpoints at the next batch and frees its slot */
  pauseRequested: boolean;
  metrics: {
    loss?: number | null;
    accuracy?: number | null;
    val_loss?: number | null;
    val_accuracy?: number | null;
    mae?: number | null;
    rmse?: number | null;
    r2?: number | null;
    val_mae?: number | null;
    val_rmse?: number | null;
    val_r2?: number | null;
  };
  history: components['schemas']['EpochRow'][];
  modelId: string | null;
  error: {
    code: string;
    message: string;
  } | null;
  backend: {
    name: string;
    device: string;
  } | null;
  attempts: number;
  /** @description The request with every default filled in */
  spec: {
    [key: string]: unknown;
  };
  /** Format: date-time */
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

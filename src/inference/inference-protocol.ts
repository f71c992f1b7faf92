import type { BackendInfo } from '../tf/backend.js';

/** A batch to run: the model is named by its cache key and found in the store by tenant and id. */
export interface PredictMessage {
  type: 'predict';
  id: number;
  key: string;
  tenant: string;
  modelId: string;
  inputShape: number[];
  count: number;
  input: Float32Array;
  /** False for a model too large for the cache: it is loaded for this batch and disposed after it. */
  keep: boolean;
}

export type ToHost = PredictMessage | { type: 'drop'; key: string } | { type: 'stats'; id: number };

/** What an inference host holds: its models and its TF.js memory. */
export interface HostStats {
  /** The host's process id: the API's own for a thread. */
  pid: number;
  models: string[];
  numTensors: number;
  numBytes: number;
}

export type FromHost =
  | { type: 'ready'; backend: BackendInfo }
  | { type: 'result'; id: number; scores: Float32Array; classes: number }
  | { type: 'error'; id: number; code: 'model_not_found' | 'inference_failed'; message: string }
  | { type: 'stats'; id: number; stats: HostStats };

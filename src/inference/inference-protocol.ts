import type { Preprocessing } from '../models/preprocessing.js';
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

/** How images sent to predict become a model's input: its size and channels, and how they are fitted to it. */
export interface ImageTarget {
  height: number;
  width: number;
  channels: 1 | 3;
  fit: 'cover' | 'contain';
  /** Bounds on each image file: its bytes, and width × height as its header gives them. */
  maxFileBytes: number;
  maxPixels: number;
}

/** Images to decode into one model's input, preprocessed as the model's record says. */
export interface DecodeMessage {
  type: 'decode';
  id: number;
  images: Uint8Array[];
  target: ImageTarget;
  preprocessing: Preprocessing;
}

export type ToHost =
  PredictMessage | DecodeMessage | { type: 'drop'; key: string } | { type: 'stats'; id: number };

/** What an inference host holds: its models and its TF.js memory. */
export interface HostStats {
  /** The host's process id: the API's own for a thread. */
  pid: number;
  models: string[];
  numTensors: number;
  numBytes: number;
}

/**
 * `model_unservable`: the model was read but cannot be built or predict, for a reason of its own that will not
 * pass (the API remembers it); `model_load_failed`: it could not be built for another reason (memory, the
 * backend), which may pass.
 */
export type HostErrorCode = 'model_not_found' | 'model_unservable' | 'model_load_failed' | 'inference_failed';

export type FromHost =
  | { type: 'ready'; backend: BackendInfo }
  | { type: 'result'; id: number; scores: Float32Array; classes: number }
  | { type: 'error'; id: number; code: HostErrorCode; message: string }
  | { type: 'stats'; id: number; stats: HostStats }
  | { type: 'decoded'; id: number; values: Float32Array }
  /** An image that is not one, or too large: the problem's status, code and detail, and the image's index. */
  | { type: 'decode_failed'; id: number; index: number; status: number; code: string; message: string };

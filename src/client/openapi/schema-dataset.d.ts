// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export type Dataset = {
  id: string;
  name: string;
  /** @enum {unknown} */
  format: 'csv' | 'ndjson' | 'json' | 'zip' | 'tar';
  /**
   * @description tabular: rows of numbers; image: pictures, featureShape [H, W, C], pixels 0-255
   * @enum {unknown}
   */
  kind: 'tabular' | 'image';
  rows: number;
  featureShape: number[];
  labels: string[];
  labelCounts: {
    [key: string]: number;
  };
  /** @description Present when every label is a number, so the dataset can train a regression (task: "regression"); labels and labelCounts are empty when there are more distinct numbers than MAX_CLASSES */
  target?: {
    min: number;
    max: number;
    mean: number;
    std: number;
  };
  /** @description CSV datasets: the feature columns in order, their kinds and how they became the features (featureShape [sum of their widths]) */
  columns?: components['schemas']['Column'][];
  /** @description Image archives: entries that are not images of a class (junk, files at the root) */
  skipped?: {
    count: number;
    /** @description The first 100 skipped entries */
    entries: {
      entry: string;
      reason: string;
    }[];
  };
  /** @description SHA-256 of the uploaded bytes */
  sha256: string;
  /** @description Size of the uploaded body */
  sizeBytes: number;
  /** Format: date-time */
  createdAt: string;
};

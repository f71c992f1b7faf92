// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export type SweepRequest = {
  name?: string;
  /** @description The job every trial runs, with the space's settings applied; what it leaves out is automatic */
  job: components['schemas']['JobRequest'];
  /** @description The settings to vary, each a list of `values` (or, in random search, a `min`–`max` range) */
  space: {
    /** @description Adam's learning rate: `values`, or a `min`–`max` range drawn log-uniformly */
    learningRate?: {
      /** @description The values to try */
      values?: number[];
      min?: number;
      max?: number;
      /**
       * @description How a range is drawn (default log)
       * @enum {unknown}
       */
      scale?: 'linear' | 'log';
    };
    batchSize?: {
      /** @description The values to try */
      values: number[];
    };
    hiddenUnits?: {
      /** @description The values to try */
      values: number[][];
    };
    /** @description Dropout after each hidden layer (of the transfer head, with a base) */
    dropout?: {
      /** @description The values to try */
      values?: number[];
      min?: number;
      max?: number;
      /**
       * @description How a range is drawn (default linear)
       * @enum {unknown}
       */
      scale?: 'linear' | 'log';
    };
    unfreeze?: {
      /** @description The values to try */
      values: number[];
    };
  };
  /**
   * @description grid: every combination of the listed values; random (default): `trials` draws
   * @enum {unknown}
   */
  method?: 'grid' | 'random';
  /** @description How many trials: random search default 10; a grid runs all its combinations unless told fewer */
  trials?: number;
  /** @description Trials running at once (default 2) */
  parallel?: number;
  /**
   * @description What picks the best trial: default val_accuracy, or val_loss for a regression
   * @enum {unknown}
   */
  metric?: 'val_accuracy' | 'val_loss' | 'val_r2' | 'val_mae' | 'val_rmse';
  earlyStopping?: {
    /**
     * @description median (default): a trial whose best metric so far is behind the median of the other trials' at the same epoch stops there; none: every trial runs its course
     * @enum {unknown}
     */
    rule: 'median' | 'none';
    /** @description Epochs every trial runs before it can be stopped (default 3) */
    graceEpochs?: number;
    /** @description Other trials that must have reached the epoch for the rule to judge (default 2) */
    minTrials?: number;
  };
  /** @description An alias moved to the best trial's model when the sweep succeeds */
  alias?: string;
  /** @description Seeds the draws of a random search */
  seed?: number;
};

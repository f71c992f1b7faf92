// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export type Model = {
  id: string;
  name: string;
  /** @enum {unknown} */
  source: 'upload' | 'job' | 'import';
  /**
   * @description layers-model: a TF.js LayersModel (trainable, can be cut and fine-tuned); graph-model: a converted TF graph, only ever a frozen feature extractor or a whole model to predict with
   * @enum {unknown}
   */
  format: 'layers-model' | 'graph-model';
  /** @description Shape of one instance, without the batch dimension */
  inputShape: number[];
  /** @description Class labels in output order; null for an uploaded model uploaded without labels */
  labels: string[] | null;
  layers: {
    name: string;
    className: string;
    outputShape: (number | null)[];
    params: number;
  }[];
  /** @description Where a transfer job cuts this model unless told otherwise: the layer named 'features', else the input of the final Dense layer */
  defaultCutLayer: string | null;
  preprocessing: {
    standardize?: {
      mean: number[];
      std: number[];
    };
    /** @description Each input value v (pixels 0..255) becomes v × scale + offset; x/127.5 - 1 is {scale: 1/127.5, offset: -1} */
    pixels?: {
      scale: number;
      offset: number;
    };
  } | null;
  /** @description A model trained on a CSV: its input columns, which predict takes by name (objects) or in order (arrays of numbers, text and nulls), encoded as in training */
  columns?: components['schemas']['Column'][];
  metrics: {
    [key: string]: number | null;
  };
  evaluation:
    | {
        /** @enum {unknown} */
        split: 'validation' | 'train';
        rows: number;
        accuracy: number;
        /** @description Rows: true label, columns: predicted */
        confusionMatrix: number[][];
        perClass: {
          label: string;
          precision: number;
          recall: number;
          support: number;
        }[];
        /** @description Classes whose recall is far below the mean recall of the classes with evaluation rows: under max(mean / 2, mean - 0.3). Accuracy can read high while a small class is never found; these are the classes to look at (more rows, classWeight) */
        lowRecall?: {
          label: string;
          recall: number;
        }[];
      }
    | {
        /** @enum {string} */
        task: 'regression';
        /** @enum {unknown} */
        split: 'validation' | 'train';
        rows: number;
        /** @description Mean absolute error */
        mae: number;
        /** @description Root mean squared error */
        rmse: number;
        /** @description Coefficient of determination: 1 − squared error / variance of the targets (null for constant targets) */
        r2: number | null;
        /** @description Mean and standard deviation of the targets evaluated on */
        target: {
          mean: number;
          std: number;
        };
      }
    | null;
  /**
   * @description What the model predicts; absent: classification (labels and scores)
   * @enum {unknown}
   */
  task?: 'classification' | 'regression';
  /** @description Regression: the model outputs (y − mean) / std of the target it learnt; predictions undo it, a TF.js program does output × std + mean */
  targetScaling?: {
    mean: number;
    std: number;
  };
  history: components['schemas']['EpochRow'][];
  /** @description The settings the model was trained with; absent on models not trained here */
  training?: {
    /** @description Epochs the job was set to run (the head phase; fine-tuning adds its own) */
    epochs: number;
    /** @description Epochs it ran: fewer than `epochs` when early stopping ended it */
    epochsRun: number;
    batchSize: number;
    learningRate: number;
    /** @description Whether early stopping watched the validation metric */
    earlyStopping: boolean;
    /** @description The settings the service chose from the data (omitted or "auto" in the request) */
    auto: ('epochs' | 'batchSize' | 'learningRate' | 'earlyStopping')[];
  };
  lineage: {
    jobId: string | null;
    baseModelId: string | null;
    datasetId: string | null;
    datasetSha256: string | null;
  };
  backend: {
    name: string;
    device: string;
  } | null;
  /** @description Where an imported model came from; absent for uploads and trained models */
  origin?: {
    /** @description The model.json it was fetched from (secret-looking query values redacted) */
    url: string;
    /** @description The catalogue base it is (GET /v1/bases), or null for a URL imported as given */
    base: string | null;
    /** @description SHA-256 of model.json then each weight file in manifest order, as fetched: what `sha256` pins */
    sha256: string;
  };
  /** @description Present on a model trained on a GraphModel base: model.json is the head, which takes the base’s output, and the base is stored beside it. Predictions chain the two; a TF.js program does `head.predict(base.predict(x))` */
  graphBase?: {
    /** @description The base's model.json among the model's files */
    modelJson: string;
    /** @description Shape of the base's output for one instance: what the head (model.json) takes */
    featureShape: number[];
  };
  /** @description model.json and the weight files it names */
  files: string[];
  sizeBytes: number;
  /** Format: date-time */
  createdAt: string;
};

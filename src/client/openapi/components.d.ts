// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export interface components {
  schemas: {
    /** Problem */
    Problem: {
      type: string;
      title: string;
      status: number;
      /** @description Stable machine-readable error code */
      code: string;
      detail: string;
      instance: string;
      requestId: string;
    } & {
      [key: string]: unknown;
    };
    /** Column */
    Column: {
      name: string;
      /**
       * @description numeric: the value as it is (blank: missing); categorical: one feature per category, 1 for its own (text, or numbers given as categories)
       * @enum {unknown}
       */
      kind: 'numeric' | 'categorical';
      /** @description Rows with a blank cell in this column */
      missing: number;
      /** @description Numeric columns with blanks: a second feature, 1 where the value is missing (the value itself is imputed with the training mean) */
      indicator?: boolean;
      /** @description Categorical columns: one feature each, most frequent first (at most 64) */
      categories?: string[];
      /** @description Categorical columns with more categories than are encoded: one more feature, for the rarer ones and for categories never seen in training */
      other?: boolean;
    };
    /** Dataset */
    Dataset: {
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
    /** EpochRow */
    EpochRow: {
      epoch: number;
      /** @enum {unknown} */
      phase: 'head' | 'fine-tune';
      loss: number;
      accuracy: number | null;
      val_loss: number | null;
      val_accuracy: number | null;
      /** @description Regression: mean absolute error */
      mae?: number | null;
      /** @description Regression: root mean squared error */
      rmse?: number | null;
      /** @description Regression: coefficient of determination */
      r2?: number | null;
      /** @description Regression: mean absolute error on the validation rows */
      val_mae?: number | null;
      /** @description Regression: root mean squared error on the validation rows */
      val_rmse?: number | null;
      /** @description Regression: coefficient of determination on the validation rows */
      val_r2?: number | null;
    };
    /** Model */
    Model: {
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
    /** Alias */
    Alias: {
      name: string;
      modelId: string;
      /** Format: date-time */
      createdAt: string;
      /** Format: date-time */
      updatedAt: string;
    };
    /** CatalogueBase */
    CatalogueBase: {
      id: string;
      name: string;
      /** @description Where its model.json is fetched from: where it is published, or under BASE_MIRROR_URL when set */
      url: string;
      /** @enum {unknown} */
      format: 'layers-model' | 'graph-model';
      /** @description One image, without the batch dimension */
      inputShape: number[];
      /** @description Each input value v (pixels 0..255) becomes v × scale + offset; x/127.5 - 1 is {scale: 1/127.5, offset: -1} */
      preprocessing: {
        scale: number;
        offset: number;
      };
      /** @description Where a transfer job cuts it unless told otherwise; null for a GraphModel, whose output is the features */
      defaultCutLayer: string | null;
      /** @description SPDX identifier of the weights’ licence */
      licence: string;
      /** @description Where the base is documented */
      docs: string;
    };
    /** JobRequest */
    JobRequest: {
      /** @description Training dataset */
      dataset: string;
      /**
       * @description classification (default): one of the labels; regression: the label as a number (every label must be one)
       * @enum {unknown}
       */
      task?: 'classification' | 'regression';
      /**
       * @description Regression: mean squared error (default) or Huber loss, on the standardized target
       * @enum {unknown}
       */
      loss?: 'mse' | 'huber';
      validation?: {
        /** @description Stratified hold-out fraction (default 0.2) */
        split?: number;
        /** @description A separate validation dataset */
        dataset?: string;
      };
      /** @description Pretrained model to transfer from: its id, or an alias (resolved when the job is submitted) */
      baseModel?: string;
      architecture?:
        | {
            hiddenUnits?: number[];
            dropout?: number;
            inputShape?: number[];
            filters?: number[];
            kernelSize?: number;
            denseUnits?: number;
            /**
             * @description The 2×2 pool after each convolution (default max); 'none' keeps every position, so that a cut below the last convolution keeps more of the image
             * @enum {unknown}
             */
            pooling?: 'max' | 'avg' | 'none';
            /** @description Average each channel of the last convolution's output over its positions before the Dense layer, instead of flattening it (default false) */
            globalPooling?: boolean;
            /** @enum {string} */
            type: 'mlp';
          }
        | {
            hiddenUnits?: number[];
            dropout?: number;
            inputShape?: number[];
            filters?: number[];
            kernelSize?: number;
            denseUnits?: number;
            /**
             * @description The 2×2 pool after each convolution (default max); 'none' keeps every position, so that a cut below the last convolution keeps more of the image
             * @enum {unknown}
             */
            pooling?: 'max' | 'avg' | 'none';
            /** @description Average each channel of the last convolution's output over its positions before the Dense layer, instead of flattening it (default false) */
            globalPooling?: boolean;
            /** @enum {string} */
            type: 'cnn';
          };
      transfer?: {
        cutLayer?: string;
        freeze?: ('all' | 'none') | number;
        head?: {
          hiddenUnits?: number[];
          dropout?: number;
        };
      };
      hyperparameters?: {
        /** @description Epochs; "auto" (the default): from the training steps it takes, with early stopping */
        epochs?: number | 'auto';
        /** @description Rows per step; "auto" (the default): from the number of training rows and the job budget */
        batchSize?: number | 'auto';
        /** @description Adam's learning rate; "auto" (the default): chosen for the job */
        learningRate?: number | 'auto';
        beta1?: number;
        beta2?: number;
        epsilon?: number;
        fineTune?: {
          epochs: number;
          learningRate?: number;
          unfreeze?: number;
        };
        earlyStopping?: {
          /** @enum {unknown} */
          monitor?: 'val_loss' | 'val_accuracy';
          patience?: number;
          minDelta?: number;
          restoreBest?: boolean;
        };
      };
      /** @description Image datasets only: training images changed at random every epoch, reproducibly from the seed; validation images never */
      augmentation?: {
        /**
         * @description horizontal: each image mirrored left to right with probability 1/2 (default none)
         * @enum {unknown}
         */
        flip?: 'none' | 'horizontal';
        /** @description Each image shifted by up to this share of its size each way and cropped to between 1 - shift and all of it, resized back; the uncovered edge is black (default 0) */
        shift?: number;
        /** @description Each image brightened or darkened by up to this share of full scale (default 0) */
        brightness?: number;
      };
      /** @description balanced: each class weighted by rows / (classes × its rows) among the training rows, so that every class counts as much in the loss; or a weight per label (1 for labels it leaves out). The training loss reported is the weighted one; validation loss is not weighted */
      classWeight?:
        | 'balanced'
        | {
            [key: string]: number;
          };
      /**
       * @description auto (default): rows of numbers into an MLP standardized per feature; rows shaped as images into a CNN, and images, scaled as a whole; a base's own preprocessing when transferring. standardize: each feature by its training mean and standard deviation (rows of numbers only). scale: every value by one factor (images: 1/255; rows: 1 / the training split's largest absolute value). none: the values as they are. With a base, only its own kind (or auto)
       * @enum {unknown}
       */
      preprocessing?: 'auto' | 'standardize' | 'scale' | 'none';
      seed?: number;
      name?: string;
      metadata?: {
        [key: string]: string;
      };
    };
    /** Job */
    Job: {
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
    /** Event */
    Event: {
      /** @description Orders events; pass it as `after` or Last-Event-ID to read on from it */
      id: string;
      /** @enum {unknown} */
      type: 'status' | 'epoch' | 'progress' | 'log' | 'checkpoint' | 'trial';
      /** Format: date-time */
      at: string;
      /** @description status: {status, attempt?, message?, modelId?, error?}; epoch: an epoch row; progress: {phase, epoch, epochs, batch, batches, fraction, samplesPerSecond, etaSeconds}; log: {level, message}; checkpoint: a checkpoint; trial (a sweep's log): {trial, jobId, status, value?, stoppedEarly?} */
      data: {
        [key: string]: unknown;
      };
    };
    /** EventPage */
    EventPage: {
      items: components['schemas']['Event'][];
      /** @description This page holds the terminal event, or there is nothing after it */
      ended: boolean;
    };
    /** SweepRequest */
    SweepRequest: {
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
    /** Trial */
    Trial: {
      /** @description 1-based */
      trial: number;
      jobId: string;
      /** @enum {unknown} */
      status: 'queued' | 'running' | 'retrying' | 'paused' | 'succeeded' | 'failed' | 'cancelled';
      /** @description The value of each setting the space varies */
      settings: {
        [key: string]: unknown;
      };
      value: number | null;
      /** @description Epochs run so far */
      epochs: number;
      stoppedEarly: {
        epoch: number;
        /** @description Its best metric up to that epoch */
        value: number;
        /** @description The median of the other trials' best at that epoch */
        median: number;
        /** @description Other trials that had reached it */
        trials: number;
      } | null;
      modelId: string | null;
    };
    /** Sweep */
    Sweep: {
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
    /** Worker */
    Worker: {
      id: string;
      host: string;
      pid: number;
      backend: string;
      device: string;
      concurrency: number;
      /** @description The jobs it is running now */
      jobs: {
        id: string;
        samplesPerSecond: number | null;
      }[];
      /** @description Training throughput of its running jobs at the last heartbeat */
      samplesPerSecond: number | null;
      /** @description Stopping: it takes no new jobs */
      draining: boolean;
      /** Format: date-time */
      startedAt: string;
      /** Format: date-time */
      lastHeartbeat: string;
    };
    /** Webhook */
    Webhook: {
      id: string;
      url: string;
      /** @description The event types it receives */
      events: (
        | 'job.running'
        | 'job.paused'
        | 'job.succeeded'
        | 'job.failed'
        | 'job.cancelled'
        | 'model.created'
        | 'sweep.succeeded'
        | 'sweep.failed'
        | 'sweep.cancelled'
      )[];
      description: string;
      /** @description A disabled endpoint gets nothing, not even deliveries queued before */
      enabled: boolean;
      /** Format: date-time */
      createdAt: string;
      /** Format: date-time */
      updatedAt: string;
    };
    /** WebhookWithSecret */
    WebhookWithSecret: components['schemas']['Webhook'] & {
      /** @description `whsec_` and base64 of 32 random bytes: verify deliveries with it (Standard Webhooks). Shown only now */
      secret: string;
    };
    /** DeliveryAttempt */
    DeliveryAttempt: {
      /** @description The delivery (one event to this endpoint); send it again by this id */
      deliveryId: string;
      /** @description The `webhook-id` header, the same on every attempt */
      eventId: string;
      /** @enum {unknown} */
      eventType:
        | 'job.running'
        | 'job.paused'
        | 'job.succeeded'
        | 'job.failed'
        | 'job.cancelled'
        | 'model.created'
        | 'sweep.succeeded'
        | 'sweep.failed'
        | 'sweep.cancelled';
      attempt: number;
      /**
       * @description delivered: a 2xx; failed: anything else; refused: the URL is not allowed, never retried
       * @enum {unknown}
       */
      outcome: 'delivered' | 'failed' | 'refused';
      statusCode: number | null;
      /** @description From sending the request to its response (or the failure) */
      latencyMs: number;
      error: string | null;
      /** @description Another attempt follows (after a backoff) */
      retrying: boolean;
      /** Format: date-time */
      at: string;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}

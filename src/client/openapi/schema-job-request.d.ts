// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type JobRequest = {
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

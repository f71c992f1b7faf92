// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type EpochRow = {
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

// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type Column = {
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

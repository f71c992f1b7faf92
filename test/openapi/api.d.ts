// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export interface paths {
  '/health': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @enum {string} */
              status: 'ok';
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @enum {string} */
              status: 'ready';
              backend: {
                name: string;
                device: string;
              };
            };
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/datasets': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List datasets, newest first
     * @description Needs the scope `datasets:read`.
     */
    get: {
      parameters: {
        query?: {
          limit?: number;
          /** @description nextCursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                id: string;
                name: string;
                /** @enum {unknown} */
                format: 'csv' | 'ndjson' | 'json';
                rows: number;
                featureShape: number[];
                labels: string[];
                labelCounts: {
                  [key: string]: number;
                };
                /** @description SHA-256 of the uploaded bytes */
                sha256: string;
                /** @description Size of the uploaded body */
                sizeBytes: number;
                /** Format: date-time */
                createdAt: string;
              }[];
              nextCursor: string | null;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    /**
     * Upload a dataset (CSV, NDJSON or JSON)
     * @description Needs the scope `datasets:write`.
     */
    post: {
      parameters: {
        query?: {
          name?: string;
          labelColumn?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              name: string;
              /** @enum {unknown} */
              format: 'csv' | 'ndjson' | 'json';
              rows: number;
              featureShape: number[];
              labels: string[];
              labelCounts: {
                [key: string]: number;
              };
              /** @description SHA-256 of the uploaded bytes */
              sha256: string;
              /** @description Size of the uploaded body */
              sizeBytes: number;
              /** Format: date-time */
              createdAt: string;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/datasets/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Needs the scope `datasets:read`. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              name: string;
              /** @enum {unknown} */
              format: 'csv' | 'ndjson' | 'json';
              rows: number;
              featureShape: number[];
              labels: string[];
              labelCounts: {
                [key: string]: number;
              };
              /** @description SHA-256 of the uploaded bytes */
              sha256: string;
              /** @description Size of the uploaded body */
              sizeBytes: number;
              /** Format: date-time */
              createdAt: string;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** @description Needs the scope `datasets:write`. */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List models, newest first
     * @description Needs the scope `models:read`.
     */
    get: {
      parameters: {
        query?: {
          limit?: number;
          /** @description nextCursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                id: string;
                name: string;
                /** @enum {unknown} */
                source: 'upload' | 'job';
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
                  standardize: {
                    mean: number[];
                    std: number[];
                  };
                } | null;
                metrics: {
                  [key: string]: number | null;
                };
                evaluation: {
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
                } | null;
                history: {
                  epoch: number;
                  /** @enum {unknown} */
                  phase: 'head' | 'fine-tune';
                  loss: number;
                  accuracy: number;
                  val_loss: number | null;
                  val_accuracy: number | null;
                }[];
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
                /** @description model.json and the weight files it names */
                files: string[];
                sizeBytes: number;
                /** Format: date-time */
                createdAt: string;
              }[];
              nextCursor: string | null;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    /**
     * Upload a TF.js LayersModel (multipart: model.json and its weight files; optional fields name, labels)
     * @description Needs the scope `models:write`.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              name: string;
              /** @enum {unknown} */
              source: 'upload' | 'job';
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
                standardize: {
                  mean: number[];
                  std: number[];
                };
              } | null;
              metrics: {
                [key: string]: number | null;
              };
              evaluation: {
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
              } | null;
              history: {
                epoch: number;
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
                loss: number;
                accuracy: number;
                val_loss: number | null;
                val_accuracy: number | null;
              }[];
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
              /** @description model.json and the weight files it names */
              files: string[];
              sizeBytes: number;
              /** Format: date-time */
              createdAt: string;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        406: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Needs the scope `models:read`. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              name: string;
              /** @enum {unknown} */
              source: 'upload' | 'job';
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
                standardize: {
                  mean: number[];
                  std: number[];
                };
              } | null;
              metrics: {
                [key: string]: number | null;
              };
              evaluation: {
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
              } | null;
              history: {
                epoch: number;
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
                loss: number;
                accuracy: number;
                val_loss: number | null;
                val_accuracy: number | null;
              }[];
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
              /** @description model.json and the weight files it names */
              files: string[];
              sizeBytes: number;
              /** Format: date-time */
              createdAt: string;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** @description Needs the scope `models:write`. */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/{file}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Needs the scope `models:read`. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
          file: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': string;
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{idOrAlias}/predict': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Predict with a model, named by its id or by an alias
     * @description Needs the scope `predict`.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A model id, or the name of an alias pointing to one */
          idOrAlias: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Raw feature rows, flat or in the input shape */
            instances: unknown[];
            /** @default 3 */
            topK?: number;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              modelId: string;
              predictions: {
                label: string;
                score: number;
                top: {
                  label: string;
                  score: number;
                }[];
              }[];
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/aliases': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List aliases in name order
     * @description Needs the scope `models:read`.
     */
    get: {
      parameters: {
        query?: {
          limit?: number;
          /** @description nextCursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                name: string;
                modelId: string;
                /** Format: date-time */
                createdAt: string;
                /** Format: date-time */
                updatedAt: string;
              }[];
              nextCursor: string | null;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/aliases/{name}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Needs the scope `models:read`. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              modelId: string;
              /** Format: date-time */
              createdAt: string;
              /** Format: date-time */
              updatedAt: string;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    /**
     * Point an alias at a model, creating it or moving it in one atomic step
     * @description Needs the scope `models:write`.
     */
    put: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            modelId: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              modelId: string;
              /** Format: date-time */
              createdAt: string;
              /** Format: date-time */
              updatedAt: string;
            } & {
              /** @description The model the alias pointed to before this request, if any */
              previousModelId: string | null;
            };
          };
        };
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              name: string;
              modelId: string;
              /** Format: date-time */
              createdAt: string;
              /** Format: date-time */
              updatedAt: string;
            } & {
              /** @description The model the alias pointed to before this request, if any */
              previousModelId: string | null;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    post?: never;
    /** @description Needs the scope `models:write`. */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/jobs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List jobs, newest first
     * @description Needs the scope `jobs:read`.
     */
    get: {
      parameters: {
        query?: {
          status?: 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';
          limit?: number;
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                id: string;
                name: string;
                /** @enum {unknown} */
                status: 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';
                queuePosition: number | null;
                progress: {
                  /** @enum {unknown} */
                  phase: 'head' | 'fine-tune';
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
                metrics: {
                  loss?: number | null;
                  accuracy?: number | null;
                  val_loss?: number | null;
                  val_accuracy?: number | null;
                };
                history: {
                  epoch: number;
                  /** @enum {unknown} */
                  phase: 'head' | 'fine-tune';
                  loss: number;
                  accuracy: number;
                  val_loss: number | null;
                  val_accuracy: number | null;
                }[];
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
              }[];
              nextCursor: string | null;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    /**
     * Submit a training job
     * @description Needs the scope `jobs:write`.
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Makes retries safe: the same key and body give the same job (for 24 h by default) */
          'idempotency-key'?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Training dataset */
            dataset: string;
            validation?: {
              /** @description Stratified hold-out fraction (default 0.2) */
              split?: number;
              /** @description A separate validation dataset */
              dataset?: string;
            };
            /** @description Pretrained model to transfer from */
            baseModel?: string;
            architecture?:
              | {
                  hiddenUnits?: number[];
                  dropout?: number;
                  inputShape?: number[];
                  filters?: number[];
                  kernelSize?: number;
                  denseUnits?: number;
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
              epochs?: number;
              batchSize?: number;
              learningRate?: number;
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
            seed?: number;
            name?: string;
            metadata?: {
              [key: string]: string;
            };
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              name: string;
              /** @enum {unknown} */
              status: 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';
              queuePosition: number | null;
              progress: {
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
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
              metrics: {
                loss?: number | null;
                accuracy?: number | null;
                val_loss?: number | null;
                val_accuracy?: number | null;
              };
              history: {
                epoch: number;
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
                loss: number;
                accuracy: number;
                val_loss: number | null;
                val_accuracy: number | null;
              }[];
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
          };
        };
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              name: string;
              /** @enum {unknown} */
              status: 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';
              queuePosition: number | null;
              progress: {
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
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
              metrics: {
                loss?: number | null;
                accuracy?: number | null;
                val_loss?: number | null;
                val_accuracy?: number | null;
              };
              history: {
                epoch: number;
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
                loss: number;
                accuracy: number;
                val_loss: number | null;
                val_accuracy: number | null;
              }[];
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
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/jobs/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Needs the scope `jobs:read`. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              name: string;
              /** @enum {unknown} */
              status: 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';
              queuePosition: number | null;
              progress: {
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
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
              metrics: {
                loss?: number | null;
                accuracy?: number | null;
                val_loss?: number | null;
                val_accuracy?: number | null;
              };
              history: {
                epoch: number;
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
                loss: number;
                accuracy: number;
                val_loss: number | null;
                val_accuracy: number | null;
              }[];
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
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/jobs/{id}/cancel': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Cancel a job
     * @description A queued job ends cancelled at once (200). A running one stops within a batch on whichever worker runs it, its training process killed past JOB_STOP_GRACE_MS (202; it then always ends cancelled, with no model and no checkpoints). Cancelling again is fine; a finished job is 409. Needs the scope `jobs:write`.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              name: string;
              /** @enum {unknown} */
              status: 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';
              queuePosition: number | null;
              progress: {
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
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
              metrics: {
                loss?: number | null;
                accuracy?: number | null;
                val_loss?: number | null;
                val_accuracy?: number | null;
              };
              history: {
                epoch: number;
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
                loss: number;
                accuracy: number;
                val_loss: number | null;
                val_accuracy: number | null;
              }[];
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
          };
        };
        /** @description Default Response */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              id: string;
              name: string;
              /** @enum {unknown} */
              status: 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';
              queuePosition: number | null;
              progress: {
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
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
              metrics: {
                loss?: number | null;
                accuracy?: number | null;
                val_loss?: number | null;
                val_accuracy?: number | null;
              };
              history: {
                epoch: number;
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
                loss: number;
                accuracy: number;
                val_loss: number | null;
                val_accuracy: number | null;
              }[];
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
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/jobs/{id}/events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The job's events: Server-Sent Events, or JSON pages
     * @description With `Accept: text/event-stream`: a live stream of the events after `Last-Event-ID` (or `after`), ending after the terminal status; keep-alive comments while idle. Otherwise: JSON, up to `limit` events after `after`. Needs the scope `jobs:read`.
     */
    get: {
      parameters: {
        query?: {
          after?: string;
          limit?: number;
        };
        header?: {
          'last-event-id'?: string;
        };
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                /** @description Orders events; pass it as `after` or Last-Event-ID to read on from it */
                id: string;
                /** @enum {unknown} */
                type: 'status' | 'epoch' | 'progress' | 'log' | 'checkpoint';
                /** Format: date-time */
                at: string;
                /** @description status: {status, attempt?, message?, modelId?, error?}; epoch: an epoch row; progress: {phase, epoch, epochs, batch, batches, fraction, samplesPerSecond, etaSeconds}; log: {level, message}; checkpoint: a checkpoint */
                data: {
                  [key: string]: unknown;
                };
              }[];
              /** @description This page holds the job's terminal event, or there is nothing after it */
              ended: boolean;
            };
          };
        };
        /** @description Event stream only: the job has ended and there is nothing after Last-Event-ID */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/jobs/{id}/checkpoints': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The running job's checkpoints, oldest first
     * @description Kept while the job runs (the newest CHECKPOINT_KEEP); deleted when it ends. Needs the scope `jobs:read`.
     */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                /** @description Sorts in the order the checkpoints were taken */
                id: string;
                /** @description Epochs finished (both phases) */
                epoch: number;
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
                /** @description Batches finished of the next epoch: 0 at an epoch boundary, more when a worker stopped mid-epoch */
                batch: number;
                attempt: number;
                sizeBytes: number;
                /** Format: date-time */
                createdAt: string;
              }[];
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/workers': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The live training workers
     * @description From heartbeats that expire: a worker that stops beating for three intervals is gone. Each lists the jobs it runs: the key's tenant's own, or every tenant's for a key with the scope `operator`. Needs the scope `admin` or `operator`.
     */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
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
              }[];
            };
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
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
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: never;
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;

import { Type } from 'typebox';
import { encodePng, SAMPLES_PER_LABEL } from '../datasets/images/image-samples.js';
import { notFound, ProblemError, unprocessable } from '../errors.js';
import type { RouteApp } from './route-app.js';
import { IdParams, problems } from './schemas.js';

/** Images one response holds at most, over all labels. */
export const MAX_SAMPLES = 256;

const SamplesSchema = Type.Object({
  datasetId: Type.String(),
  featureShape: Type.Array(Type.Integer(), { description: '[H, W, C] of every image' }),
  samples: Type.Array(
    Type.Object({
      label: Type.String(),
      index: Type.Integer({ description: "The image's row in the dataset, 0-based, in archive order" }),
      png: Type.String({ description: 'The image as stored, as a data URL: data:image/png;base64,…' }),
    }),
    { description: `By label in label order, each label's first images; at most ${MAX_SAMPLES} in all` },
  ),
});

/** GET /:id/samples: a few images of each class of an image dataset, as PNGs, for a person to look at. */
export function registerSamples(app: RouteApp): void {
  app.get(
    '/:id/samples',
    {
      config: { scope: 'datasets:read' },
      schema: {
        summary: 'A few images of each class of an image dataset, as PNG data URLs',
        params: IdParams('ds'),
        querystring: Type.Object(
          {
            label: Type.Optional(
              Type.String({ minLength: 1, maxLength: 200, description: 'Only this class' }),
            ),
            limit: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: SAMPLES_PER_LABEL,
                default: 4,
                description: 'Images per class',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: SamplesSchema, ...problems(400, 404, 422) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { label, limit = 4 } = request.query;
      const dataset = await app.datasets.get(request.tenant, id);
      if (!dataset) throw notFound('dataset', id);
      if (dataset.kind !== 'image') {
        throw unprocessable(
          'not_an_image_dataset',
          `dataset '${id}' holds ${dataset.format} rows, not images`,
        );
      }
      const wanted = label === undefined ? -1 : dataset.labels.indexOf(label);
      if (label !== undefined && wanted < 0) {
        throw new ProblemError(400, 'validation_failed', `dataset '${id}' has no label '${label}'`, {
          field: '/querystring/label',
        });
      }
      const stored = await app.datasets.loadSamples(request.tenant, dataset);
      const imageBytes = stored.shape[1] * stored.shape[2] * stored.shape[3];
      const taken = new Map<number, number>();
      const picked: number[] = [];
      stored.labelIndex.forEach((labelAt, i) => {
        const count = taken.get(labelAt) ?? 0;
        if ((wanted >= 0 && labelAt !== wanted) || count >= limit || picked.length >= MAX_SAMPLES) return;
        taken.set(labelAt, count + 1);
        picked.push(i);
      });
      const samples = await Promise.all(
        picked.map(async (i) => {
          const png = await encodePng(
            stored.pixels.subarray(i * imageBytes, (i + 1) * imageBytes),
            dataset.featureShape,
          );
          return {
            label: dataset.labels[stored.labelIndex[i]!]!,
            index: stored.rows[i]!,
            png: `data:image/png;base64,${png.toString('base64')}`,
          };
        }),
      );
      return { datasetId: id, featureShape: dataset.featureShape, samples };
    },
  );
}

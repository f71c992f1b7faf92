import { Transform, type Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { badRequest, ProblemError } from '../errors.js';
import { ModelRefSchema } from '../models/alias-store.js';
import type { PredictInput } from '../inference/predictor.js';
import { readParts } from './multipart-parts.js';
import type { RouteApp } from './route-app.js';
import { problems } from './schemas.js';

/** Images one request may carry. */
const MAX_IMAGES = 64;
const DEFAULT_TOP_K = 3;

const TopK = Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_TOP_K });
const Fit = Type.Enum(['cover', 'contain'], {
  default: 'cover',
  description: 'How an image is fitted to the model input: cropped to cover it, or letterboxed inside it',
});
const PredictJson = Type.Object(
  {
    instances: Type.Optional(
      Type.Array(Type.Unknown(), {
        minItems: 1,
        maxItems: 1000,
        description: 'Raw feature rows, flat or in the input shape',
      }),
    ),
    images: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        maxItems: MAX_IMAGES,
        description: 'Image files (JPEG, PNG, WebP, GIF, TIFF, AVIF), base64, for an image model',
      }),
    ),
    topK: Type.Optional(TopK),
    fit: Type.Optional(Fit),
  },
  { additionalProperties: false },
);
type PredictBody = Static<typeof PredictJson>;

const Label = Type.Object({ label: Type.String(), score: Type.Number() });
const PredictResponse = Type.Object({
  modelId: Type.String(),
  predictions: Type.Array(
    Type.Union([
      Type.Object(
        { label: Type.String(), score: Type.Number(), top: Type.Array(Label) },
        { description: 'A classification: the top label and score, and the topK best' },
      ),
      Type.Object(
        { value: Type.Number() },
        { description: 'A regression: the predicted number, in the units of the labels trained on' },
      ),
    ]),
  ),
});
const Options = Type.Object({ topK: Type.Optional(TopK), fit: Type.Optional(Fit) });

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A JSON body's input: exactly one of `instances` and `images`. */
function jsonInput(body: PredictBody): PredictInput {
  if ((body.instances === undefined) === (body.images === undefined)) {
    throw badRequest(
      'validation_failed',
      "give either 'instances' (rows) or 'images' (base64 files), not both",
      {
        field: body.instances ? 'images' : 'instances',
      },
    );
  }
  if (body.instances) return { instances: body.instances };
  const images = body.images!.map((text, index) => {
    // data: URLs as browsers make them are taken as they are.
    const data = text.startsWith('data:') ? text.slice(text.indexOf(',') + 1) : text;
    if (!BASE64.test(data))
      throw badRequest('validation_failed', `images[${index}] is not base64`, { index });
    return Buffer.from(data, 'base64');
  });
  return { images, fit: body.fit ?? 'cover' };
}

const imagesTooLarge = (limit: number) =>
  new ProblemError(
    413,
    'body_too_large',
    `the images may be at most ${limit} bytes (PREDICT_IMAGE_MAX_BYTES)`,
  );

/**
 * A multipart body's images (every file part, in order) and its `topK` and `fit` fields. The files are read
 * only while they come to at most `limit` bytes together: the route's body limit holds only for bodies Fastify
 * reads itself, and a multipart body is read here.
 */
async function multipartInput(
  request: FastifyRequest,
  limit: number,
): Promise<{ input: PredictInput; topK: number }> {
  const parts = await readParts(request, {
    maxBytes: limit,
    fileSize: limit,
    tooLarge: () => imagesTooLarge(limit),
    maxFiles: MAX_IMAGES,
    tooMany: () => new ProblemError(413, 'too_many_files', `at most ${MAX_IMAGES} images a request`),
  });
  const images = parts.files.map((file) => file.data);
  const { fields } = parts;
  if (images.length === 0) throw badRequest('validation_failed', 'the multipart body has no image file', {});
  const topK = fields.topK === undefined ? DEFAULT_TOP_K : Number(fields.topK);
  if (!Number.isInteger(topK) || topK < 1 || topK > 1000)
    throw badRequest('validation_failed', 'topK must be an integer from 1 to 1000', { field: 'topK' });
  const fit = fields.fit ?? 'cover';
  if (fit !== 'cover' && fit !== 'contain')
    throw badRequest('validation_failed', "fit must be 'cover' or 'contain'", { field: 'fit' });
  return { input: { images, fit }, topK };
}

const DECIMAL = /^\d+$/;
const jsonTooLarge = (limit: number) =>
  new ProblemError(413, 'body_too_large', `a JSON body may be at most ${limit} bytes (JSON_MAX_BYTES)`);

/**
 * A JSON body past `limit` bytes is a 413 however the route's own limit (set for images) reads. A body of a
 * declared length is checked by that length alone: the length frames it, so Node's parser reads no more of it (and
 * Fastify refuses one that ends short). Only a chunked body, of no declared length, is counted as it comes.
 */
function limitJson(request: FastifyRequest, payload: Readable, limit: number): Readable {
  if (request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/json')
    return payload;
  const declared = request.headers['content-length'];
  if (Number(declared ?? 0) > limit) throw jsonTooLarge(limit);
  if (declared !== undefined && DECIMAL.test(declared)) return payload;
  let seen = 0;
  return payload.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.byteLength;
        done(seen > limit ? jsonTooLarge(limit) : null, chunk);
      },
    }),
  );
}

/**
 * POST /:idOrAlias/predict: rows or images as JSON, images as multipart, or one raw `image/*` body. In a scope
 * of its own, so that its `image/*` parser is for this route alone: the other routes of models still refuse
 * such a body with a 415 before reading it.
 */
export function registerPredict(app: RouteApp): void {
  void app.register(async (scope: RouteApp) => predictRoute(scope));
}

function predictRoute(app: RouteApp): void {
  const { JSON_MAX_BYTES, PREDICT_IMAGE_MAX_BYTES } = app.config;
  // One image as the whole body: buffered, up to the route's limit.
  app.addContentTypeParser(/^image\/[a-z0-9.+-]+$/, { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
  app.post(
    '/:idOrAlias/predict',
    {
      bodyLimit: Math.max(JSON_MAX_BYTES, PREDICT_IMAGE_MAX_BYTES),
      preParsing: (request, _reply, payload, done) => done(null, limitJson(request, payload, JSON_MAX_BYTES)),
      config: { scope: 'predict' },
      schema: {
        summary: 'Predict with a model, named by its id or by an alias',
        description:
          'Rows as JSON `instances`; or images, for a model whose input is [height, width, 1 or 3]: base64 in JSON `images`, files in multipart/form-data (fields topK, fit), or one raw image/* body (query topK, fit).',
        params: Type.Object({ idOrAlias: ModelRefSchema() }),
        querystring: Options,
        body: { content: { 'application/json': { schema: PredictJson } } } as unknown as typeof PredictJson,
        response: { 200: PredictResponse, ...problems(400, 404, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      let input: PredictInput;
      let topK = request.query.topK ?? DEFAULT_TOP_K;
      if (request.isMultipart()) ({ input, topK } = await multipartInput(request, PREDICT_IMAGE_MAX_BYTES));
      else if (Buffer.isBuffer(request.body))
        input = { images: [request.body], fit: request.query.fit ?? 'cover' };
      else {
        input = jsonInput(request.body);
        topK = request.body.topK ?? topK;
      }
      const { modelId, predictions } = await app.predictor.serve(
        request.tenant,
        request.params.idOrAlias,
        input,
        topK,
      );
      return reply.header('x-model-id', modelId).send({ modelId, predictions });
    },
  );
}

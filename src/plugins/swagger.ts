import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MEDIA_TYPES } from '../datasets/formats/index.js';
import { hoistSharedResponses, hoistTitledSchemas } from './openapi-components.js';

/** The document's tags, one per resource, in the order the UI lists them. */
const TAGS = [
  {
    name: 'datasets',
    description: 'Labelled data: CSV, NDJSON, JSON rows; zip and tar archives of photo folders',
  },
  { name: 'jobs', description: 'Training jobs: submit, follow, pause, resume, cancel' },
  { name: 'models', description: 'Stored models: upload, import, download, predict' },
  { name: 'bases', description: 'The catalogue of well-known TF.js image bases' },
  { name: 'aliases', description: 'Stable names for models, moved atomically' },
  { name: 'webhooks', description: 'Signed notifications of job and model events' },
  { name: 'sweeps', description: 'Hyperparameter sweeps: a training job per trial, the best picked' },
  { name: 'workers', description: 'The live training workers' },
  { name: 'service', description: 'Health, readiness and metrics' },
];

/** A route's tag: the resource its path starts with under /v1, else the service's own. */
const tagOf = (url: string) => /^\/v1\/([a-z]+)/.exec(url)?.[1] ?? 'service';

/**
 * What the document says beyond the validation schemas: each route under its resource's tag, and the dataset
 * upload's body in every media type it takes (the route reads the raw bytes, so it validates no body schema).
 */
function documented({
  schema,
  url,
  route,
}: {
  schema: unknown;
  url: string;
  route: { method: string | string[] };
}) {
  if (!schema || typeof schema !== 'object') return { schema: schema as Record<string, unknown>, url };
  const copy: Record<string, unknown> = { ...schema };
  copy.tags ??= [tagOf(url)];
  if (url === '/v1/datasets' && route.method === 'POST') {
    const binary = { schema: { type: 'string', format: 'binary' } };
    copy.body = { content: Object.fromEntries(MEDIA_TYPES.map((type) => [type, binary])) };
  }
  return { schema: copy, url };
}

/** The OpenAPI 3 document at /docs/json, built from the schemas the routes validate with, and its UI at /docs. */
export default fp(
  async function swaggerPlugin(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'finetuned',
          description:
            'Transfer learning over HTTP: upload datasets and TF.js models, train jobs on BullMQ workers, predict.',
          version: '1',
        },
        tags: TAGS,
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key' } },
        },
      },
      transform: documented,
      // Each titled schema once, in components.schemas, and a $ref wherever a route uses it.
      transformObject: (object) =>
        'openapiObject' in object
          ? hoistSharedResponses(hoistTitledSchemas(object.openapiObject))
          : object.swaggerObject,
    });
    // The document is built on first use (a title given to two different schemas throws then: the OpenAPI test
    // builds it), not at every start-up, where it would cost a tenth of a second.
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  },
  { name: 'swagger' },
);

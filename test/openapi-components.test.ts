import Fastify from 'fastify';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import swaggerPlugin from '../src/plugins/swagger.js';
import { hoistSharedResponses, hoistTitledSchemas } from '../src/plugins/openapi-components.js';

const Column = { title: 'Column', type: 'object', properties: { name: { type: 'string' } } };
const Dataset = {
  title: 'Dataset',
  type: 'object',
  properties: { id: { type: 'string' }, columns: { type: 'array', items: Column } },
};
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const ref = (title: string) => ({ $ref: `#/components/schemas/${title}` });

describe('hoistTitledSchemas', () => {
  it('names each titled schema once in components.schemas and puts a $ref wherever it was', () => {
    const document = {
      openapi: '3.1.0',
      info: { title: 'a title of the document, not of a schema', version: '1' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      paths: {
        '/datasets': {
          get: {
            responses: {
              200: json({ type: 'object', properties: { items: { type: 'array', items: Dataset } } }),
            },
          },
          post: {
            requestBody: json({ anyOf: [Column, { type: 'null' }] }),
            responses: { 201: json(Dataset) },
          },
        },
      },
    };
    const hoisted = hoistTitledSchemas(document);
    assert.deepEqual(hoisted.components, {
      securitySchemes: document.components.securitySchemes,
      schemas: {
        Column,
        // The titled schema it nests is hoisted too.
        Dataset: {
          ...Dataset,
          properties: { ...Dataset.properties, columns: { type: 'array', items: ref('Column') } },
        },
      },
    });
    const datasets = hoisted.paths['/datasets'];
    assert.deepEqual(
      datasets.get.responses[200],
      json({ type: 'object', properties: { items: { type: 'array', items: ref('Dataset') } } }),
    );
    assert.deepEqual(datasets.post.responses[201], json(ref('Dataset')));
    assert.deepEqual(datasets.post.requestBody, json({ anyOf: [ref('Column'), { type: 'null' }] }));
    assert.equal(hoisted.info, document.info);
    // The document it was given is left as it was: the route schemas are the ones that validate.
    assert.deepEqual(document.paths['/datasets'].post.responses[201], json(Dataset));
  });

  it('leaves data alone: a property named title, examples and defaults', () => {
    const Problem = {
      title: 'Problem',
      type: 'object',
      properties: { title: { type: 'string' } },
      examples: [{ title: 'Not Found' }],
      default: { title: 'Error' },
    };
    const document = {
      paths: {
        '/x': {
          get: {
            responses: {
              404: { content: { 'application/json': { schema: Problem, example: { title: 'Gone' } } } },
            },
          },
        },
      },
    };
    const hoisted = hoistTitledSchemas(document);
    assert.deepEqual(hoisted.components.schemas, { Problem });
    assert.deepEqual(hoisted.paths['/x'].get.responses[404].content['application/json'], {
      schema: ref('Problem'),
      example: { title: 'Gone' },
    });
  });

  it('throws when two different schemas have the same title', () => {
    const other = { ...Column, properties: { name: { type: 'integer' } } };
    const document = { paths: { '/a': { get: { responses: { 200: json(Column), 201: json(other) } } } } };
    assert.throws(() => hoistTitledSchemas(document), /Two different schemas are titled "Column"/);
  });
});

describe('hoistSharedResponses', () => {
  const problem = {
    description: 'RFC 9457 problem details',
    content: { 'application/problem+json': { schema: ref('Problem') } },
  };
  const document = {
    components: { schemas: { Problem: { type: 'object' }, Column } },
    paths: {
      '/a': { get: { responses: { 200: json(ref('Column')), 400: problem, 404: problem } } },
      '/b': { post: { responses: { 201: json({ type: 'string' }), 400: problem } } },
    },
  };

  it('names a response given alike in several places once, under its schema, and refers to it there', () => {
    const hoisted = hoistSharedResponses(document);
    assert.deepEqual(hoisted.components, { ...document.components, responses: { Problem: problem } });
    const shared = { $ref: '#/components/responses/Problem' };
    assert.deepEqual(hoisted.paths, {
      // A response given once, or not all one component, stays where it is.
      '/a': { get: { responses: { 200: json(ref('Column')), 400: shared, 404: shared } } },
      '/b': { post: { responses: { 201: json({ type: 'string' }), 400: shared } } },
    });
    // The document it was given is left as it was.
    assert.deepEqual(document.paths['/b'].post.responses[400], problem);
  });

  it('leaves a document with nothing shared as it is', () => {
    const single = { components: {}, paths: { '/a': { get: { responses: { 400: problem } } } } };
    assert.equal(hoistSharedResponses(single), single);
  });
});

describe('the swagger plugin', () => {
  const appWith = async (first: object, second: object) => {
    const app = Fastify();
    await app.register(swaggerPlugin);
    app.get('/first', { schema: { response: { 200: first } } }, async () => ({ name: 'a' }));
    app.get('/second', { schema: { response: { 200: second } } }, async () => ({ name: 'b' }));
    return app;
  };

  it('serves each titled schema once, as a component', async () => {
    const app = await appWith(Column, { type: 'array', items: Column });
    try {
      const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
        components: { schemas: Record<string, unknown> };
        paths: Record<string, { get: { responses: Record<string, unknown> } }>;
      }>();
      assert.deepEqual(Object.keys(document.components.schemas), ['Column']);
      assert.deepEqual(document.paths['/first']?.get.responses[200], {
        description: 'Default Response',
        ...json(ref('Column')),
      });
    } finally {
      await app.close();
    }
  });

  it('refuses to build a document where two different schemas have the same title', async () => {
    const app = await appWith(Column, { ...Column, properties: { name: { type: 'integer' } } });
    try {
      await app.ready();
      assert.throws(() => app.swagger(), /Two different schemas are titled "Column"/);
    } finally {
      await app.close();
    }
  });
});

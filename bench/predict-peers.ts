import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs';
import Fastify, { type FastifyInstance } from 'fastify';
import { flattenInstances } from '../src/inference/row-instances.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { preprocessInPlace } from '../src/models/preprocessing.js';

/** A prediction as the service answers one. */
export interface PredictResponse {
  modelId: string;
  predictions: Array<{ label: string; score: number; top: Array<{ label: string; score: number }> }>;
}

interface PredictBody {
  instances: unknown[];
  topK?: number;
}

async function listen(server: FastifyInstance): Promise<{ url: string; close: () => Promise<void> }> {
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/predict`, close: () => server.close() };
}

/**
 * The floor any HTTP service of this shape stands on: Fastify with nothing registered, parsing the same JSON body
 * and answering the same prediction every time.
 */
export function bareFastify(answer: PredictResponse) {
  const server = Fastify();
  server.post('/predict', async () => answer);
  return listen(server);
}

/**
 * What an application would write by hand: a Fastify route that checks and preprocesses the rows as the service
 * does, then calls `model.predict` on this process's event loop, one request at a time, and ranks the scores.
 * No authentication, quotas, batching or isolation.
 */
export function inlineFastify(model: tf.LayersModel, record: ModelRecord) {
  const server = Fastify({ bodyLimit: 10 * 1024 * 1024 });
  const labels = record.labels ?? [];
  server.post<{ Body: PredictBody }>('/predict', async (request) => {
    const { instances, topK = 3 } = request.body;
    const flat = flattenInstances(instances, record);
    preprocessInPlace(flat, record.preprocessing);
    const scores = tf.tidy(() => {
      const input = tf.tensor(flat, [instances.length, ...record.inputShape]);
      return (model.predict(input) as tf.Tensor).dataSync() as Float32Array;
    });
    const classes = scores.length / instances.length;
    const predictions = instances.map((_, row) => {
      const own = scores.subarray(row * classes, (row + 1) * classes);
      const order = Array.from(own.keys()).sort((a, b) => own[b]! - own[a]!);
      const top = order
        .slice(0, Math.min(topK, classes))
        .map((i) => ({ label: labels[i] ?? String(i), score: own[i]! }));
      return { label: top[0]!.label, score: top[0]!.score, top };
    });
    return { modelId: record.id, predictions };
  });
  return listen(server);
}

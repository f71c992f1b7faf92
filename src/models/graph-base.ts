import * as tf from '@tensorflow/tfjs';
import { predictWith } from './model-build.js';

/** The name of the layer a GraphModel base becomes: where jobs cut it by default, whole. */
export const GRAPH_FEATURES_LAYER = 'features';

/**
 * A GraphModel as one frozen layer of a LayersModel, so that a job cuts, pools and puts a head on it as on any
 * base. It has no weights of its own and is never saved: a model trained on it is stored as the head alone beside
 * a copy of the GraphModel ({@link headOf}), and served by chaining the two.
 */
class GraphFeaturesLayer extends tf.layers.Layer {
  static readonly className = 'GraphFeatures';

  constructor(
    private readonly graph: tf.GraphModel,
    private readonly featureShape: number[],
  ) {
    super({ name: GRAPH_FEATURES_LAYER, trainable: false });
  }

  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
    const batch = (Array.isArray(shape[0]) ? shape[0] : shape) as tf.Shape;
    return [batch[0] ?? null, ...this.featureShape];
  }

  override call(input: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return predictWith(this.graph, Array.isArray(input) ? input[0]! : input);
  }
}

/** The shape of the GraphModel's output for one instance, found by running it once on zeros. */
export function graphFeatureShape(graph: tf.GraphModel, inputShape: number[]): number[] {
  return tf.tidy(() => predictWith(graph, tf.zeros([1, ...inputShape])).shape.slice(1));
}

/**
 * A GraphModel base as a LayersModel of one frozen layer named `features`: its input, then the graph's output.
 * Disposing the LayersModel leaves the graph; the caller disposes it.
 */
export function graphBaseModel(graph: tf.GraphModel, inputShape: number[]): tf.LayersModel {
  const input = tf.input({ shape: inputShape, name: 'graph_input' });
  const layer = new GraphFeaturesLayer(graph, graphFeatureShape(graph, inputShape));
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor, name: 'graph_base' });
}

/** Whether a model was built on a GraphModel base by {@link graphBaseModel}. */
export const hasGraphBase = (model: tf.LayersModel): boolean =>
  model.layers.some((layer) => layer instanceof GraphFeaturesLayer);

/**
 * The part of a model built on a GraphModel base that follows the graph (pooling, then the head), as a model of
 * its own that takes the graph's output: what is stored. Its layers are the model's, so it holds the trained
 * weights. The model must be a chain from the graph layer on, as transfer models are.
 */
export function headOf(model: tf.LayersModel): tf.LayersModel {
  const at = model.layers.findIndex((layer) => layer instanceof GraphFeaturesLayer);
  if (at < 0) throw new Error('the model has no GraphModel base');
  const graphLayer = model.layers[at]!;
  const shape = (graphLayer.outputShape as Array<number | null>).slice(1) as number[];
  const input = tf.input({ shape, name: 'base_features' });
  const output = model.layers.slice(at + 1).reduce((x, layer) => layer.apply(x) as tf.SymbolicTensor, input);
  return tf.model({ inputs: input, outputs: output, name: 'finetuned_head' });
}

/**
 * A model stored in two parts: a GraphModel base and a LayersModel head on its output. It predicts as one, and
 * is released as one.
 */
export class ChainedModel {
  constructor(
    readonly base: tf.GraphModel,
    readonly head: tf.LayersModel,
  ) {}

  predict(input: tf.Tensor): tf.Tensor {
    return tf.tidy(() => predictWith(this.head, predictWith(this.base, input)));
  }

  dispose(): void {
    this.head.dispose();
    this.base.dispose();
  }
}

/** Builds a head and its GraphModel base from their artifacts into one {@link ChainedModel}. */
export async function loadChained(
  head: tf.io.ModelArtifacts,
  base: tf.io.ModelArtifacts,
): Promise<ChainedModel> {
  const graph = await tf.loadGraphModel(tf.io.fromMemory(base));
  try {
    return new ChainedModel(graph, await tf.loadLayersModel(tf.io.fromMemory(head)));
  } catch (error) {
    graph.dispose();
    throw error;
  }
}

/** Where the GraphModel base of a head sits among its files, as its model.json's metadata says; null if none. */
export function graphBaseFileOf(artifacts: tf.io.ModelArtifacts): string | null {
  const finetuned: { graphBase?: { modelJson?: unknown } } | undefined =
    artifacts.userDefinedMetadata?.finetuned;
  const file = finetuned?.graphBase?.modelJson;
  return typeof file === 'string' ? file : null;
}

import type { Config } from '../config.js';
import { unprocessable } from '../errors.js';
import { declaredShape, LayerConfigError, member } from './layer-config.js';
import { layerOutcome, type Dim, type Shape } from './layer-shapes.js';
import { ManifestWeights, type WeightSpec } from './manifest-weights.js';
import {
  layersByName,
  outputCount,
  ownsNode,
  readContainer,
  rootOf,
  tooComplex,
  topologyError,
  type Container,
  type GraphLayer,
  type TensorRef,
} from './model-topology.js';

/** Bounds on what an uploaded model may declare, from the config. */
export interface ModelLimits {
  maxLayers: number;
  /** Nodes of a GraphModel's graph, its functions' included. */
  maxGraphNodes: number;
  maxParams: number;
  /** Values one instance may produce at any layer, the input included. */
  maxActivationElements: number;
}

export const modelLimits = (config: Config): ModelLimits => ({
  maxLayers: config.MODEL_MAX_LAYERS,
  maxGraphNodes: config.MODEL_MAX_GRAPH_NODES,
  maxParams: config.MODEL_MAX_PARAMS,
  maxActivationElements: config.MODEL_MAX_ACTIVATION_ELEMENTS,
});

export type { WeightSpec } from './manifest-weights.js';

/**
 * The call a reference needs made first: -1 when it names the node a layer has before any call. `user` is the
 * layer taking the input, or undefined for the model's own inputs and outputs.
 */
function callOf(layer: GraphLayer, ref: TensorRef, user: string | undefined): number {
  const own = ownsNode(layer) ? 1 : 0;
  const taker = user === undefined ? 'the model' : `layer '${user}'`;
  const nodes = layer.calls.length + own;
  if (ref.node >= nodes)
    throw topologyError(
      `${taker} takes node ${ref.node} of layer '${layer.name}', which has ${nodes} node${nodes === 1 ? '' : 's'}`,
      user ?? layer.name,
    );
  const outputs = outputCount(layer);
  if (ref.tensor >= outputs)
    throw topologyError(
      `${taker} takes output ${ref.tensor} of layer '${layer.name}', which has ${outputs} output${outputs === 1 ? '' : 's'}`,
      user ?? layer.name,
    );
  return ref.node - own;
}

/**
 * Every call of every layer in an order where each comes after the calls it takes input from (and after the
 * layer's earlier calls, as TF.js makes them in that order): Kahn's algorithm, so a cycle is found, not followed.
 */
function callOrder(container: Container): Array<[GraphLayer, number]> {
  const byName = layersByName(container);
  const resolve = (ref: TensorRef, user?: string) => {
    const layer = byName.get(ref.layer);
    const taker = user === undefined ? 'the model' : `layer '${user}'`;
    if (!layer)
      throw topologyError(
        `${taker} takes input from '${ref.layer}', which does not exist`,
        user ?? ref.layer,
      );
    return layer;
  };
  const key = (layer: GraphLayer, call: number) => `${layer.name}\u0000${call}`;
  const waiting = new Map<string, number>();
  const next = new Map<string, Array<[GraphLayer, number]>>();
  const ready: Array<[GraphLayer, number]> = [];
  const after = (before: string, call: [GraphLayer, number]) => {
    if (!next.has(before)) next.set(before, []);
    next.get(before)!.push(call);
  };
  for (const layer of container.layers) {
    layer.calls.forEach((inputs, call) => {
      const deps = inputs.map((ref) => [resolve(ref, layer.name), ref] as const);
      let count = 0;
      for (const [from, ref] of deps) {
        const needed = callOf(from, ref, layer.name);
        if (needed < 0) continue;
        count += 1;
        after(key(from, needed), [layer, call]);
      }
      if (call > 0) {
        count += 1;
        after(key(layer, call - 1), [layer, call]);
      }
      waiting.set(key(layer, call), count);
      if (count === 0) ready.push([layer, call]);
    });
  }
  const order: Array<[GraphLayer, number]> = [];
  while (ready.length > 0) {
    const done = ready.pop()!;
    order.push(done);
    for (const call of next.get(key(...done)) ?? []) {
      const left = waiting.get(key(...call))! - 1;
      waiting.set(key(...call), left);
      if (left === 0) ready.push(call);
    }
  }
  if (order.length < waiting.size) {
    const stuck = [...new Set([...waiting].filter(([, n]) => n > 0).map(([k]) => k.split('\u0000')[0]!))];
    throw topologyError(
      `layers ${stuck
        .slice(0, 5)
        .map((n) => `'${n}'`)
        .join(', ')} take input from each other in a cycle`,
      stuck[0],
    );
  }
  for (const ref of [...container.inputs, ...container.outputs]) callOf(resolve(ref), ref, undefined);
  for (const ref of container.inputs)
    if (byName.get(ref.layer)!.className !== 'InputLayer')
      throw topologyError(`the model input '${ref.layer}' is not an InputLayer`, ref.layer);
  return order;
}

interface ShapeCheck {
  limits: ModelLimits;
  /** The manifest's weights; absent when only the graph is checked. */
  weights?: ManifestWeights;
}

function checkElements(layer: string, shape: Shape, { limits }: ShapeCheck) {
  const elements = (shape ?? []).reduce<number>((n, d) => n * (d ?? 1), 1);
  if (elements > limits.maxActivationElements)
    throw tooComplex(
      `layer '${layer}' produces ${elements} values per instance: more than ${limits.maxActivationElements} (MODEL_MAX_ACTIVATION_ELEMENTS)`,
      limits.maxActivationElements,
      elements,
      layer,
    );
}

const showShape = (shape: Dim[]) => `[${shape.map((d) => d ?? '?').join(', ')}]`;

function checkWeights(layer: GraphLayer, expected: Array<[string, Dim[]]>, { weights }: ShapeCheck) {
  if (!weights) return;
  for (const [suffix, shape] of expected) {
    const found = weights.find(layer.name, suffix);
    // Several manifest weights could set this one, or they are set by position: TF.js alone can tell.
    if (found === 'unknown') continue;
    const name = found?.name ?? `${layer.name}/${suffix}`;
    const actual = found?.shape;
    const fits = actual?.length === shape.length && shape.every((d, i) => d === null || d === actual[i]);
    if (!fits)
      throw unprocessable(
        'weight_mismatch',
        actual
          ? `layer '${layer.name}' (${layer.className}) needs '${name}' of shape ${showShape(shape)}, but the manifest declares ${showShape(actual)}`
          : `layer '${layer.name}' (${layer.className}) needs a weight '${name}' of shape ${showShape(shape)}, which the manifest does not declare`,
        { file: 'model.json', layer: layer.name, weight: name, expected: shape, actual: actual ?? null },
      );
  }
}

/** One call of a layer: its output shape, checked against the limits, and its weights against the manifest. */
function shapeCall(layer: GraphLayer, inputs: Shape[], check: ShapeCheck): Shape {
  let output: Shape;
  if (layer.className === 'InputLayer') {
    try {
      const batch = member(layer.config, 'batch_input_shape');
      output = batch == null ? null : declaredShape(batch, 'batch_input_shape').slice(1);
    } catch (error) {
      throw topologyError(`layer '${layer.name}': ${(error as Error).message}`, layer.name);
    }
  } else {
    let outcome;
    try {
      outcome = layerOutcome(layer.className, layer.config, inputs);
    } catch (error) {
      if (!(error instanceof LayerConfigError)) throw error;
      throw topologyError(`layer '${layer.name}' (${layer.className}): ${error.message}`, layer.name);
    }
    output = outcome?.output ?? null;
    checkWeights(layer, outcome?.weights ?? [], check);
  }
  checkElements(layer.name, output, check);
  return output;
}

function shapeContainer(container: Container, order: Array<[GraphLayer, number]>, check: ShapeCheck) {
  if (container.sequentialInput !== undefined) {
    layersByName(container);
    let shape: Shape = container.sequentialInput;
    checkElements(container.layers[0]?.name ?? container.where, shape, check);
    for (const layer of container.layers) shape = shapeCall(layer, [shape], check);
    return;
  }
  const byName = layersByName(container);
  const outputs = new Map<string, Shape>();
  const shapeOf = (ref: TensorRef): Shape => {
    const layer = byName.get(ref.layer)!;
    if (layer.className === 'InputLayer') return shapeCall(layer, [], check);
    return ref.tensor === 0
      ? (outputs.get(`${ref.layer}\u0000${callOf(layer, ref, undefined)}`) ?? null)
      : null;
  };
  for (const [layer, call] of order) {
    const shape = shapeCall(layer, layer.calls[call]!.map(shapeOf), check);
    outputs.set(`${layer.name}\u0000${call}`, shape);
  }
  for (const ref of container.inputs) shapeOf(ref);
}

/** Refuses (422) a manifest that declares more weight values than MODEL_MAX_PARAMS, whatever the model's kind. */
export function checkParamCount(manifest: WeightSpec[], limits: ModelLimits): void {
  const params = manifest.reduce((n, spec) => n + spec.shape.reduce((m, d) => m * d, 1), 0);
  if (params > limits.maxParams)
    throw tooComplex(
      `the manifest declares ${params} parameters: more than ${limits.maxParams} (MODEL_MAX_PARAMS)`,
      limits.maxParams,
      params,
    );
}

/**
 * Checks an uploaded model as a graph before TF.js builds any of it: names, inputs that exist, node and tensor
 * indices in range, no cycle, the layer count, and for the layers whose effect is known, the shape of every
 * output and (given the manifest) of every weight. Nested models are checked the same way. Throws a 422 naming
 * the layer.
 */
export function checkModelGraph(topology: unknown, limits: ModelLimits, manifest?: WeightSpec[]): void {
  const check: ShapeCheck = { limits };
  if (manifest) {
    checkParamCount(manifest, limits);
    check.weights = new ManifestWeights(manifest);
  }
  const pending: Array<[string, unknown, string]> = [[...rootOf(topology), 'modelTopology.config']];
  let layerCount = 0;
  const countLayers = (n: number) => {
    layerCount += n;
    if (layerCount > limits.maxLayers)
      throw tooComplex(
        `the model has more than ${limits.maxLayers} layers (MODEL_MAX_LAYERS)`,
        limits.maxLayers,
        layerCount,
      );
  };
  // Every container is read and counted before any is checked further, so that the count bounds the work.
  const containers: Container[] = [];
  while (pending.length > 0) {
    const [className, config, where] = pending.pop()!;
    const { container, nested } = readContainer(className, config, where, countLayers);
    containers.push(container);
    pending.push(...nested);
  }
  for (const container of containers)
    shapeContainer(container, container.sequentialInput === undefined ? callOrder(container) : [], check);
}

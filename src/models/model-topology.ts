import { unprocessable } from '../errors.js';
import { camel, declaredShape, member } from './layer-config.js';
import type { Shape } from './layer-shapes.js';

/*
 * Reading a topology as TF.js reads it (Sequential or functional, keys in either case) into plain layers and
 * calls, with the facts about nodes that the graph checks need.
 */

/** An input of a layer call: the `tensor`-th output of the `node`-th node of `layer`. */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

export interface GraphLayer {
  name: string;
  className: string;
  config: unknown;
  /** Each call of the layer, with its inputs; a Sequential's layers have one call each, on the layer before. */
  calls: TensorRef[][];
}

export interface Container {
  layers: GraphLayer[];
  inputs: TensorRef[];
  outputs: TensorRef[];
  /** A Sequential's declared input, or undefined for a functional model (its InputLayers declare it). */
  sequentialInput?: Shape;
  where: string;
}

const CONTAINERS = new Set(['Sequential', 'Model', 'Functional']);
const RECURRENT = new Set(['RNN', 'SimpleRNN', 'GRU', 'LSTM', 'ConvLSTM2D', 'Bidirectional']);

export const topologyError = (detail: string, layer?: string) =>
  unprocessable('invalid_topology', detail, {
    file: 'model.json',
    ...(layer === undefined ? {} : { layer }),
  });

export const tooComplex = (detail: string, limit: number, actual: number, layer?: string) =>
  unprocessable('model_too_complex', detail, {
    file: 'model.json',
    limit,
    actual,
    ...(layer === undefined ? {} : { layer }),
  });

const asList = (value: unknown, what: string): unknown[] => {
  if (!Array.isArray(value)) throw topologyError(`${what} must be a list`);
  return value;
};

function tensorRef(value: unknown, what: string, layer?: string): TensorRef {
  const [name, node, tensor] = Array.isArray(value) ? (value as unknown[]) : [];
  const index = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (typeof name !== 'string' || !index(node) || !index(tensor) || (value as unknown[]).length > 4)
    throw topologyError(`${what} must be [layer name, node index, tensor index, kwargs?]`, layer);
  return { layer: name, node: node as number, tensor: tensor as number };
}

/** A Sequential's declared input shape: its first layer's batch_input_shape, input_shape or input_dim. */
function sequentialInput(first: GraphLayer | undefined): Shape {
  if (!first) return null;
  const batch = member(first.config, 'batch_input_shape');
  const shape = member(first.config, 'input_shape');
  const dim = member(first.config, 'input_dim');
  try {
    if (batch != null) return declaredShape(batch, 'batch_input_shape').slice(1);
    if (shape != null) return declaredShape(shape, 'input_shape');
    if (dim != null) return declaredShape([dim], 'input_dim');
  } catch (error) {
    throw topologyError(`layer '${first.name}': ${(error as Error).message}`, first.name);
  }
  return null;
}

/** Reads one container's layers and their calls; nested containers are returned to be read in turn. */
export function readContainer(
  className: string,
  config: unknown,
  where: string,
  countLayers: (n: number) => void,
): { container: Container; nested: Array<[string, unknown, string]> } {
  const sequential = className === 'Sequential';
  const list = sequential && Array.isArray(config) ? config : member(config, 'layers');
  const entries = asList(list, `${where}.layers`);
  // Counted before anything is made of them: a model of a million layers costs no more than its JSON.
  countLayers(entries.length);
  const nested: Array<[string, unknown, string]> = [];
  const layers = entries.map((entry, i): GraphLayer => {
    const at = `${where}.layers[${i}]`;
    const layerClass = member(entry, 'class_name');
    const layerConfig = member(entry, 'config');
    const name = sequential ? member(layerConfig, 'name') : member(entry, 'name');
    if (typeof name !== 'string' || name === '') throw topologyError(`${at} has no name`);
    if (typeof layerClass !== 'string') throw topologyError(`${at} ('${name}') has no class_name`, name);
    if (!sequential && member(layerConfig, 'name') !== name)
      throw topologyError(`${at}: config.name must be the layer's name '${name}'`, name);
    const cls = camel(layerClass);
    if (CONTAINERS.has(cls)) nested.push([cls, layerConfig, `${at}.config`]);
    const calls = sequential
      ? []
      : asList(member(entry, 'inbound_nodes'), `${at}.inbound_nodes`).map((node, n) =>
          asList(node, `${at}.inbound_nodes[${n}]`).map((ref, r) =>
            tensorRef(ref, `${at}.inbound_nodes[${n}][${r}]`, name),
          ),
        );
    return { name, className: cls, config: layerConfig, calls };
  });
  const refs = (key: string) =>
    sequential
      ? []
      : asList(member(config, key), `${where}.${key}`).map((ref, i) =>
          tensorRef(ref, `${where}.${key}[${i}]`),
        );
  const container: Container = {
    layers,
    inputs: refs('input_layers'),
    outputs: refs('output_layers'),
    where,
  };
  if (sequential) {
    layers.forEach((layer, i) => {
      if (i > 0) layer.calls = [[{ layer: layers[i - 1]!.name, node: 0, tensor: 0 }]];
    });
    container.sequentialInput = sequentialInput(layers[0]);
  }
  return { container, nested };
}

export function layersByName(container: Container): Map<string, GraphLayer> {
  const byName = new Map<string, GraphLayer>();
  for (const layer of container.layers) {
    if (byName.has(layer.name)) throw topologyError(`two layers are named '${layer.name}'`, layer.name);
    byName.set(layer.name, layer);
  }
  return byName;
}

/**
 * Whether a layer has a node before it is called: InputLayers, functional models, and Sequentials that declare
 * their input (they build on it at once).
 */
export function ownsNode(layer: GraphLayer): boolean {
  if (layer.className === 'Sequential') {
    const list = Array.isArray(layer.config) ? layer.config : member(layer.config, 'layers');
    const head = Array.isArray(list) ? (list as unknown[])[0] : undefined;
    const config = member(head, 'config');
    return (
      member(head, 'class_name') === 'InputLayer' ||
      ['batch_input_shape', 'input_shape', 'input_dim'].some((key) => member(config, key) != null)
    );
  }
  return ['InputLayer', 'Model', 'Functional'].includes(layer.className);
}

/** How many outputs each node of a layer has. */
export function outputCount(layer: GraphLayer): number {
  if (layer.className === 'Model' || layer.className === 'Functional')
    return Math.max(1, (member(layer.config, 'output_layers') as unknown[] | undefined)?.length ?? 1);
  if (RECURRENT.has(layer.className) && member(layer.config, 'return_state') === true) return 5;
  return 1;
}

/** The model's own container: its class and config, under `model_config` in Keras's converted files. */
export function rootOf(topology: unknown): [string, unknown] {
  const root = member(topology, 'model_config') ?? topology;
  const className = member(root, 'class_name');
  if (typeof className !== 'string' || !CONTAINERS.has(camel(className)))
    throw topologyError("modelTopology must be a Sequential or functional ('Model') model");
  return [camel(className), member(root, 'config')];
}

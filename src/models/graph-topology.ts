import { badRequest } from '../errors.js';
import { checkParamCount, type ModelLimits, type WeightSpec } from './model-graph.js';
import { tooComplex, topologyError } from './model-topology.js';

/** A node of a GraphModel's GraphDef, as model.json holds it. */
interface GraphNode {
  name: string;
  op: string;
  input: string[];
}

const notWellFormed = (detail: string) => badRequest('invalid_model', detail, { file: 'model.json' });

/** The node a GraphDef input names: `^name` (a control input), `name`, `name:1` or `name:output:0`. */
const inputNode = (input: string) => input.replace(/^\^/, '').split(':')[0]!;

/** Reads one node, refusing what is not a node: a name, an op, and inputs that are strings. */
function readNode(value: unknown, where: string): GraphNode {
  const node = value as Partial<Record<keyof GraphNode, unknown>> | null;
  if (typeof node !== 'object' || node === null || Array.isArray(node))
    throw notWellFormed(`${where} is not an object`);
  if (typeof node.name !== 'string' || node.name.length === 0 || node.name.length > 1000)
    throw notWellFormed(`${where}.name must be a string of 1 to 1000 characters`);
  if (typeof node.op !== 'string' || node.op.length === 0)
    throw notWellFormed(`${where}.op must be a non-empty string`);
  const input = node.input ?? [];
  if (!Array.isArray(input) || !input.every((i) => typeof i === 'string'))
    throw notWellFormed(`${where}.input must be an array of strings`);
  return { name: node.name, op: node.op, input };
}

/** The nodes of the graph's functions (its control flow): counted against the bound, not otherwise read. */
function functionNodeCount(topology: Record<string, unknown>): number {
  const library = topology.library as { function?: unknown } | undefined;
  const functions = library?.function;
  if (functions === undefined) return 0;
  if (!Array.isArray(functions)) throw notWellFormed('modelTopology.library.function must be an array');
  return functions.reduce<number>((n, fn: { nodeDef?: unknown } | null) => {
    const nodes = fn?.nodeDef;
    return n + (Array.isArray(nodes) ? nodes.length : 0);
  }, 0);
}

/**
 * Checks a GraphModel's topology before TF.js builds any of it: a `node` array of well-formed nodes with unique
 * names, each input naming a node of the graph, no more nodes (its functions' included) than MODEL_MAX_GRAPH_NODES
 * and, given the manifest, no more weight values than MODEL_MAX_PARAMS. Which ops run, and how, is TF.js's to say
 * when the model is probed.
 */
export function checkGraphTopology(topology: unknown, limits: ModelLimits, manifest?: WeightSpec[]): void {
  const graph = topology as Record<string, unknown> | null;
  if (typeof graph !== 'object' || graph === null || !Array.isArray(graph.node))
    throw notWellFormed("a GraphModel's modelTopology must have a 'node' array");
  const count = graph.node.length + functionNodeCount(graph);
  if (count > limits.maxGraphNodes)
    throw tooComplex(
      `the graph has ${count} nodes: more than ${limits.maxGraphNodes} (MODEL_MAX_GRAPH_NODES)`,
      limits.maxGraphNodes,
      count,
    );
  if (manifest) checkParamCount(manifest, limits);
  const nodes = graph.node.map((node, i) => readNode(node, `modelTopology.node[${i}]`));
  const names = new Set<string>();
  for (const node of nodes) {
    if (names.has(node.name)) throw topologyError(`two nodes are named '${node.name}'`, node.name);
    names.add(node.name);
  }
  for (const node of nodes) {
    const missing = node.input.find((input) => !names.has(inputNode(input)));
    if (missing !== undefined)
      throw topologyError(
        `node '${node.name}' takes input '${missing}', which is no node of the graph`,
        node.name,
      );
  }
}

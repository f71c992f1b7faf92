/**
 * `npm run openapi:types`: writes the TypeScript types of the OpenAPI document the API serves at /docs/json, which
 * the exported client (`finetuned/client`) is typed with, in src/client/openapi/: components.d.ts (the shared
 * responses, and the schemas by name), one schema-<name>.d.ts per shared schema, one <tag>.d.ts per resource (its
 * own paths) and one <tag>-<action>.d.ts per path beneath it (events, cancel, predict…); and src/client/openapi.d.ts,
 * which joins them.
 * src/client/openapi/ holds only what it writes. test/openapi.test.ts fails when the document no longer matches
 * them.
 */
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import prettier from 'prettier';
import ts from 'typescript';
import app, { serverOptions } from '../src/app.js';
import { hashKey } from '../src/auth/api-keys.js';
import { loadConfig } from '../src/config.js';
import { selectBackend } from '../src/tf/backend.js';
import { keysUnder } from '../test/helpers/env.js';

/** The index the client imports: `paths` and `components`. */
export const TYPES_FILE = fileURLToPath(new URL('../src/client/openapi.d.ts', import.meta.url));
/** The folder of the files the index joins. */
export const TYPES_DIR = fileURLToPath(new URL('../src/client/openapi/', import.meta.url));
const COMPONENTS_FILE = path.join(TYPES_DIR, 'components.d.ts');

const HEADER =
  "// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.\n\n";
// What openapi-typescript declares besides paths and components; the files written say nothing of them, so
// they must stay empty (no webhooks, no operationIds).
const EMPTY_DECLARATIONS = new Set(['webhooks', '$defs', 'operations']);

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

type Declaration = ts.InterfaceDeclaration | ts.TypeAliasDeclaration;
interface Document {
  paths?: Record<string, Record<string, { tags?: string[] }>>;
}

/** The tag of each path of the document: the one tag all its operations share. */
function tagsOf(document: Document): Map<string, string> {
  const tags = new Map<string, string>();
  for (const [url, item] of Object.entries(document.paths ?? {})) {
    const operations = Object.entries(item).filter(([key]) => METHODS.has(key));
    const own = new Set(operations.map(([, operation]) => operation.tags?.[0]));
    const [tag] = own;
    if (own.size !== 1 || !tag || !/^[a-z][a-z0-9]*$/.test(tag))
      throw new Error(`${url} needs one lower-case tag on every operation to be written under it`);
    tags.set(url, tag);
  }
  return tags;
}

/** openapi-typescript's top-level declarations by name, the empty ones checked and left out. */
function declarationsOf(nodes: ts.Node[]): { paths: ts.InterfaceDeclaration; components: Declaration } {
  const byName = new Map<string, Declaration>();
  for (const node of nodes) {
    if (!ts.isInterfaceDeclaration(node) && !ts.isTypeAliasDeclaration(node))
      throw new Error(`openapi-typescript gave a ${ts.SyntaxKind[node.kind]}, which is not written`);
    byName.set(node.name.text, node);
  }
  for (const [name, node] of byName)
    if (
      EMPTY_DECLARATIONS.has(name)
        ? !ts.isTypeAliasDeclaration(node)
        : !['paths', 'components'].includes(name)
    )
      throw new Error(`the document now has ${name}, which the types files do not write`);
  const paths = byName.get('paths');
  const components = byName.get('components');
  if (!paths || !ts.isInterfaceDeclaration(paths) || !components) throw new Error('no paths or components');
  return { paths, components };
}

const memberName = (member: ts.TypeElement) =>
  member.name && (ts.isStringLiteral(member.name) || ts.isIdentifier(member.name)) ? member.name.text : '';

/** The paths interface with only the members `keep` holds. */
function pathsOnly(paths: ts.InterfaceDeclaration, keep: (url: string) => boolean): ts.InterfaceDeclaration {
  const members = paths.members.filter((member) => keep(memberName(member)));
  return ts.factory.updateInterfaceDeclaration(
    paths,
    paths.modifiers,
    paths.name,
    paths.typeParameters,
    paths.heritageClauses,
    members,
  );
}

/** TypeScript source formatted as the repository formats it. */
async function formatted(file: string, source: string): Promise<string> {
  const options = await prettier.resolveConfig(file);
  return prettier.format(HEADER + source, { ...options, filepath: file });
}

const pascal = (name: string) =>
  name.replace(/(^|-)([a-z0-9])/g, (_, _dash, letter: string) => letter.toUpperCase());
const pathsName = (group: string) => `${pascal(group)}Paths`;
const kebab = (name: string) =>
  name.replace(/[A-Z]/g, (letter, at: number) => (at ? '-' : '') + letter.toLowerCase());

/**
 * Which file a path's types go in: its tag's for the resource itself (the collection and one item), else the tag
 * and the action or sub-resource beneath it (`/v1/jobs/{id}/events`: jobs-events).
 */
function groupOf(url: string, tag: string): string {
  const named = url.split('/').filter((segment) => segment && segment !== 'v1' && !segment.startsWith('{'));
  if (!url.startsWith('/v1/') || named.length <= 1) return tag;
  return `${tag}-${named.at(-1)!.replace(/[^a-z0-9]+/g, '-')}`;
}

/** The index: `components`, and `paths` as the intersection of every group's paths. */
function indexSource(groups: string[]): string {
  const imports = groups.map(
    (group) => `import type { paths as ${pathsName(group)} } from './openapi/${group}.js';`,
  );
  return `${imports.join('\n')}

export type { components } from './openapi/components.js';

/** Every route of the API: each resource's paths, joined. */
export type paths = ${groups.map(pathsName).join(' & ')};
`;
}

const importComponents = (source: string) =>
  source.includes('components[') ? "import type { components } from './components.js';\n\n" : '';

/**
 * The components' files: each schema a type of its own in schema-<name>.d.ts, and components.d.ts naming them
 * (and holding the shared responses, which are one line each).
 */
async function componentFiles(components: Declaration, files: Map<string, string>): Promise<void> {
  if (!ts.isInterfaceDeclaration(components)) throw new Error('components is not an interface');
  const schemas = components.members.find(
    (member): member is ts.PropertySignature =>
      memberName(member) === 'schemas' && ts.isPropertySignature(member),
  );
  const literal = schemas?.type;
  if (!schemas || !literal || !ts.isTypeLiteralNode(literal)) throw new Error('components has no schemas');
  const named: ts.TypeElement[] = [];
  const imports: string[] = [];
  for (const member of literal.members) {
    const name = memberName(member);
    if (!ts.isPropertySignature(member) || !member.type || !/^[A-Z][A-Za-z0-9]*$/.test(name))
      throw new Error(`schema ${name} cannot have a file of its own`);
    const file = path.join(TYPES_DIR, `schema-${kebab(name)}.d.ts`);
    const source = astToString(
      ts.factory.createTypeAliasDeclaration(
        [ts.factory.createModifier(ts.SyntaxKind.ExportKeyword)],
        name,
        undefined,
        member.type,
      ),
    );
    files.set(file, await formatted(file, importComponents(source) + source));
    imports.push(`import type { ${name} } from './schema-${kebab(name)}.js';`);
    named.push(
      ts.factory.updatePropertySignature(
        member,
        member.modifiers,
        member.name,
        member.questionToken,
        ts.factory.createTypeReferenceNode(name),
      ),
    );
  }
  const members = components.members.map((member) =>
    member === schemas
      ? ts.factory.updatePropertySignature(
          schemas,
          schemas.modifiers,
          schemas.name,
          schemas.questionToken,
          ts.factory.createTypeLiteralNode(named),
        )
      : member,
  );
  const index = ts.factory.updateInterfaceDeclaration(
    components,
    components.modifiers,
    components.name,
    components.typeParameters,
    components.heritageClauses,
    members,
  );
  files.set(
    COMPONENTS_FILE,
    await formatted(COMPONENTS_FILE, `${imports.join('\n')}\n\n${astToString(index)}`),
  );
}

/** Every types file of an OpenAPI document (its JSON text), by absolute path, formatted. */
export async function renderTypes(document: string): Promise<Map<string, string>> {
  const { paths, components } = declarationsOf(await openapiTS(document, { silent: true }));
  const tagOf = tagsOf(JSON.parse(document) as Document);
  const untagged = paths.members.map(memberName).filter((url) => !tagOf.has(url));
  if (untagged.length > 0) throw new Error(`paths without a tag: ${untagged.join(', ')}`);
  const groupOfUrl = new Map([...tagOf].map(([url, tag]) => [url, groupOf(url, tag)]));
  const groups = [...new Set(groupOfUrl.values())].sort();
  const files = new Map<string, string>();
  await componentFiles(components, files);
  for (const group of groups) {
    const file = path.join(TYPES_DIR, `${group}.d.ts`);
    const source = astToString(pathsOnly(paths, (url) => groupOfUrl.get(url) === group));
    files.set(file, await formatted(file, importComponents(source) + source));
  }
  files.set(TYPES_FILE, await formatted(TYPES_FILE, indexSource(groups)));
  return files;
}

/** What a folder holds, by absolute path; nothing if it is not there. */
async function filesUnder(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => []);
  return names.map((name) => path.join(dir, name));
}

/** The 1-based number of the first line where two texts differ. */
function firstDifference(a: string, b: string): number {
  const left = a.split('\n');
  const right = b.split('\n');
  const index = left.findIndex((line, i) => line !== right[i]);
  return (index === -1 ? left.length : index) + 1;
}

/**
 * How the types files on disk differ from `rendered`: one line per missing or stale file, and per file in `dir`
 * (TYPES_DIR) that is not one of them.
 */
export async function typesDifferences(rendered: Map<string, string>, dir = TYPES_DIR): Promise<string[]> {
  const name = (file: string) => path.relative(process.cwd(), file);
  const differences: string[] = [];
  for (const [file, text] of rendered) {
    const committed = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (committed === undefined) differences.push(`${name(file)} is missing`);
    else if (committed !== text)
      differences.push(`${name(file)} differs from /docs/json from line ${firstDifference(text, committed)}`);
  }
  for (const file of await filesUnder(dir))
    if (!rendered.has(file)) differences.push(`${name(file)} is not one of the types of /docs/json`);
  return differences;
}

/** Writes `rendered` and removes what else TYPES_DIR holds. */
async function writeTypes(rendered: Map<string, string>): Promise<void> {
  await fs.mkdir(TYPES_DIR, { recursive: true });
  for (const file of await filesUnder(TYPES_DIR))
    if (!rendered.has(file)) await fs.rm(file, { recursive: true, force: true });
  for (const [file, text] of rendered) await fs.writeFile(file, text);
}

/** The document as the API serves it, from an instance that never listens, on a throwaway data directory. */
async function fetchDocument(): Promise<string> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-openapi-'));
  // The app makes its queue's keys as it starts: under a prefix of their own, they can all go afterwards.
  const prefix = `openapi-types-${randomBytes(4).toString('hex')}`;
  // A key of its own, so that the API does not make one and print it.
  const keys = [
    { id: 'openapi', tenant: 'default', scopes: ['admin'], sha256: hashKey(randomBytes(16).toString('hex')) },
  ];
  const config = loadConfig({
    DATA_DIR: dataDir,
    QUEUE_PREFIX: prefix,
    API_KEYS: JSON.stringify(keys),
    LOG_LEVEL: 'warn',
  });
  const fastify = Fastify(serverOptions(config));
  try {
    await fastify.register(app, { config, backend: await selectBackend('cpu') });
    await fastify.ready();
    try {
      const response = await fastify.inject({ method: 'GET', url: '/docs/json' });
      if (response.statusCode !== 200) throw new Error(`/docs/json answered ${response.statusCode}`);
      return response.body;
    } finally {
      const made = await keysUnder(fastify.redis, prefix);
      if (made.length > 0) await fastify.redis.unlink(...made);
    }
  } finally {
    await fastify.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rendered = await renderTypes(await fetchDocument());
  await writeTypes(rendered);
  for (const file of rendered.keys()) console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

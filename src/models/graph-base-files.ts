import type { ModelJson, ModelStore } from './model-store.js';

/** The name a GraphModel base's model.json is stored under beside the head trained on it. */
export const BASE_MODEL_JSON = 'base.model.json';

/**
 * A copy of a stored GraphModel's files to store beside a head trained on it: its model.json as
 * {@link BASE_MODEL_JSON}, its weight files renamed `base.<name>` (folders flattened) with the manifest's paths to
 * match, so that the files sit flat among the head's and a TF.js client fetches them from the same folder.
 */
export async function graphBaseFiles(
  models: ModelStore,
  tenant: string,
  baseId: string,
): Promise<Map<string, Buffer>> {
  const raw = await models.file(tenant, baseId, 'model.json');
  if (!raw) throw new Error(`model ${baseId} has no model.json`);
  const json = JSON.parse(raw.toString('utf8')) as ModelJson;
  const files = new Map<string, Buffer>();
  const renamed = json.weightsManifest.map((group) => ({
    ...group,
    paths: group.paths.map((path) => `base.${path.replaceAll('/', '_')}`),
  }));
  for (const [g, group] of json.weightsManifest.entries()) {
    for (const [p, path] of group.paths.entries()) {
      const data = await models.file(tenant, baseId, path);
      if (!data) throw new Error(`model ${baseId} is missing weight file ${path}`);
      files.set(renamed[g]!.paths[p]!, data);
    }
  }
  files.set(BASE_MODEL_JSON, Buffer.from(JSON.stringify({ ...json, weightsManifest: renamed })));
  return files;
}

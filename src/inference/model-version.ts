/**
 * One stored version of a model: a model stored again (same id, new `createdAt`) is a new version, so nothing
 * loaded for the old one is served for the new one.
 */
export interface ModelVersion {
  tenant: string;
  modelId: string;
  /** When this version was stored, from its record. */
  createdAt: string;
}

/** The one string form of a version: how maps, the hosts' loaded models and their stats name it. */
export function versionKey(version: ModelVersion): string {
  return `${version.tenant}/${version.modelId}@${version.createdAt}`;
}

/** Whether `version` is a version of the model `modelId` of `tenant`. */
export function isVersionOf(version: ModelVersion, tenant: string, modelId: string): boolean {
  return version.tenant === tenant && version.modelId === modelId;
}

/** A model version as the pool serves it. */
export interface ServedModel {
  version: ModelVersion;
  /** `versionKey(version)`, computed once. */
  key: string;
  inputShape: number[];
  /** What the model takes in memory once loaded, for the cache's byte bound. */
  bytes: number;
}

/** A served model for one version. */
export function servedModel(version: ModelVersion, inputShape: number[], bytes: number): ServedModel {
  return { version, key: versionKey(version), inputShape, bytes };
}

import { createHash } from 'node:crypto';
import { badRequest, ProblemError, unprocessable } from '../errors.js';
import { redactUrl } from '../http/redact-url.js';
import { fetchBounded, FetchFailure, type FetchBounds } from '../net/bounded-fetch.js';
import { OutboundUrlError, parseOutboundUrl, type CheckedTarget } from '../net/outbound-address.js';
import { isPlainFileName, parseModelJson } from './model-upload.js';

export const IMPORT_USER_AGENT = 'finetuned-model-import/1';

/** The bounds of one import, from the config. */
export interface ImportOptions {
  /** MODEL_IMPORT_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  /** MODEL_IMPORT_TIMEOUT_MS: every file, redirects included. */
  timeoutMs: number;
  /** MODEL_IMPORT_MAX_REDIRECTS: for each file. */
  maxRedirects: number;
  /** MODEL_MAX_BYTES: every file together. */
  maxBytes: number;
  /** The request field problems name: '/body/url', or '/body/base' for a catalogue base. */
  field: string;
  /** The address guard's check, for tests that trust one server and check the rest. */
  check?: (url: URL) => Promise<CheckedTarget>;
}

/** A model's files as an import fetched them, and the SHA-256 over them that `sha256` pins. */
export interface FetchedModel {
  files: Map<string, Buffer>;
  sha256: string;
}

/** Hosts whose model pages TF.js loads with `fromTFHub`: the page's URL, then `/model.json?tfjs-format=file`. */
const HUB_HOSTS = new Set(['tfhub.dev', 'www.kaggle.com', 'kaggle.com']);

/**
 * The model.json URL an import fetches: the URL as given, or for a TF Hub or Kaggle model page (no `.json`, no
 * query) the model.json TF.js's `fromTFHub` makes of it. A 400 naming `field` when it is no http(s) URL.
 */
export function modelJsonUrl(input: string, field: string): URL {
  let url: URL;
  try {
    url = parseOutboundUrl(input);
  } catch (error) {
    if (!(error instanceof OutboundUrlError)) throw error;
    throw badRequest('validation_failed', `${field.slice(1)} ${error.message}`, { field });
  }
  if (HUB_HOSTS.has(url.hostname) && !url.pathname.endsWith('.json') && !url.search)
    return new URL(`${url.href.replace(/\/+$/, '')}/model.json?tfjs-format=file`);
  return url;
}

/** Where TF.js fetches a weight file from: model.json's folder, the path, then model.json's query. */
function weightUrl(modelUrl: URL, path: string): URL {
  const url = new URL(path, modelUrl);
  url.search = modelUrl.search;
  return url;
}

/**
 * The weight files model.json names, in manifest order, once each: plain names in model.json's folder. A path
 * that leaves it (`../`, `/`, another host) is a 400 naming it, before anything is fetched for it.
 */
function weightPaths(raw: Buffer, modelUrl: URL, field: string): string[] {
  const json = parseModelJson(raw);
  const paths = new Set<string>();
  json.weightsManifest.forEach((group, g) => {
    for (const path of Array.isArray(group?.paths) ? (group.paths as unknown[]) : []) {
      const folder = new URL('.', modelUrl).href;
      const plain = typeof path === 'string' && isPlainFileName(path);
      if (!plain || !weightUrl(modelUrl, path).href.startsWith(folder))
        throw badRequest(
          'invalid_model',
          `weightsManifest[${g}] names '${String(path)}': weight paths must be plain file names in model.json's folder`,
          { file: String(path), field },
        );
      paths.add(path);
    }
  });
  return [...paths];
}

/** A fetch failure as the problem an import answers with. */
function importProblem(failure: FetchFailure, file: string, options: ImportOptions): ProblemError {
  const url = redactUrl(failure.url);
  const where = { field: options.field, file, url };
  const failed = (reason: string, detail: string, extra: Record<string, unknown> = {}) =>
    unprocessable('import_failed', `${file} from ${url}: ${detail}`, { ...where, reason, ...extra });
  switch (failure.reason) {
    case 'private_address':
      return unprocessable('model_url_refused', `${file} from ${url}: ${failure.message}`, {
        ...where,
        reason: failure.reason,
      });
    case 'too_large':
      return new ProblemError(
        413,
        'model_too_large',
        `the model's files exceed MODEL_MAX_BYTES (${options.maxBytes} bytes): ${file} from ${url} is too large`,
        where,
      );
    case 'timeout':
      return failed('timeout', `not fetched within ${options.timeoutMs} ms (MODEL_IMPORT_TIMEOUT_MS)`);
    case 'redirects':
      return failed('redirects', `${failure.message} (MODEL_IMPORT_MAX_REDIRECTS)`);
    case 'status':
      return failed('status', failure.message, { remoteStatus: failure.status });
    default:
      return failed(failure.reason, failure.message);
  }
}

/**
 * Fetches model.json and then each weight file it names, within the import's bounds: one deadline and one byte
 * budget for all of them, redirects bounded per file, every address checked. What is fetched is checked as an
 * upload is afterwards; here, only that the weight paths stay in model.json's folder.
 */
export async function fetchModelFiles(modelUrl: URL, options: ImportOptions): Promise<FetchedModel> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const files = new Map<string, Buffer>();
  const hash = createHash('sha256');
  let left = options.maxBytes;
  const fetchFile = async (file: string, url: URL) => {
    const bounds: FetchBounds = {
      allowPrivate: options.allowPrivate,
      maxRedirects: options.maxRedirects,
      maxBytes: left,
      signal,
      userAgent: IMPORT_USER_AGENT,
      ...(options.check ? { check: options.check } : {}),
    };
    try {
      const { body } = await fetchBounded(url, bounds);
      left -= body.byteLength;
      files.set(file, body);
      hash.update(body);
      return body;
    } catch (error) {
      throw error instanceof FetchFailure ? importProblem(error, file, options) : error;
    }
  };
  const raw = await fetchFile('model.json', modelUrl);
  for (const path of weightPaths(raw, modelUrl, options.field))
    await fetchFile(path, weightUrl(modelUrl, path));
  return { files, sha256: hash.digest('hex') };
}

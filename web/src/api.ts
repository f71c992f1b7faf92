import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Page } from './api-types.js';
import { ApiProblem } from './problem.js';

type Query = Record<string, string | number | undefined>;

/** `path?query`, leaving out the parameters that are unset. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The API, called with the signed-in key. A 401 anywhere signs the page out, with the problem's detail. */
export class Api {
  constructor(
    private readonly key: string,
    private readonly onUnauthorized: (problem: ApiProblem) => void,
  ) {}

  /** The response to a request with the key; a problem (thrown) for any status of 400 or more. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.key}`);
    const response = await fetch(path, { ...init, headers });
    if (response.status < 400) return response;
    const problem = await ApiProblem.from(response);
    if (problem.status === 401) this.onUnauthorized(problem);
    throw problem;
  }

  async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return (await this.request(withQuery(path, query), { signal })).json() as Promise<T>;
  }

  /** A JSON body sent, the JSON answer back (undefined for 204). */
  async send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const response = await this.request(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  /** A file or other raw body sent as it is, with its media type. */
  async upload<T>(path: string, body: Blob, type: string): Promise<T> {
    const response = await this.request(path, { method: 'POST', headers: { 'content-type': type }, body });
    return response.json() as Promise<T>;
  }

  /** Every item of a list route, up to `max`, page by page. */
  async all<T>(path: string, query: Query = {}, max = 500): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<Page<T>>(path, { ...query, limit: 100, cursor });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && items.length < max);
    return items;
  }

  /** Saves a file the API serves (with the key, so not through a plain link) under `name`. */
  async download(path: string, name: string): Promise<void> {
    const blob = await (await this.request(path)).blob();
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    // Revoked once the browser has surely taken the file.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

export const ApiContext = createContext<Api | null>(null);

/** The signed-in API of the page. */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside a signed-in page');
  return api;
}

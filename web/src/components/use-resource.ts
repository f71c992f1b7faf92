import { useCallback, useEffect, useState } from 'preact/hooks';
import { asProblem, type ApiProblem } from '../problem.js';

/** What the page has loaded from the API, or the problem it got instead. */
export interface Resource<T> {
  data: T | undefined;
  problem: ApiProblem | undefined;
  loading: boolean;
  /** Loads it again (after a change, or on a timer). */
  reload: () => void;
  /** Changes what is shown without loading it again (a live update). */
  update: (change: (data: T) => T) => void;
}

/** Loads `load()` when `deps` change; a load overtaken by a newer one is dropped. */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setProblem(undefined);
        setLoading(false);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setProblem(asProblem(error));
        setLoading(false);
      },
    );
    return () => controller.abort();
    // `load` is a new function each render: `deps` say when it loads something else.
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  const update = useCallback((change: (value: T) => T) => {
    setData((value) => (value === undefined ? value : change(value)));
  }, []);
  return { data, problem, loading, reload, update };
}

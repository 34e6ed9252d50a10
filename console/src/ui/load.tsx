/** One read from the admin API, reloadable, kept while it reloads (no flicker on refresh). */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (result) => {
        if (!live) return;
        setData(result);
        setError(null);
        setLoading(false);
      },
      (caught: unknown) => {
        if (!live) return;
        setError(caught instanceof ApiError ? caught : new ApiError(0, 'client', String(caught)));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  return { data, error, loading, reload: useCallback(() => setTick((value) => value + 1), []) };
}

/** Loading or error line for a single read; null once there is data. */
export function LoadState(props: { loaded: Loaded<unknown> }) {
  const { loaded } = props;
  if (loaded.error)
    return (
      <p class="error" role="alert">
        {loaded.error.message}
      </p>
    );
  if (loaded.data === null) return <p class="muted">Loading…</p>;
  return null;
}

/**
 * One read from the admin API, reloadable. Its answer stays shown while the same read reloads (no
 * flicker on refresh), never under another key (a new search shows no stale results).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [answer, setAnswer] = useState<{ key: string; data: T } | null>(null);
  const [failure, setFailure] = useState<{ key: string; error: ApiError } | null>(null);
  const [pending, setPending] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setPending(true);
    load().then(
      (result) => {
        if (!live) return;
        setAnswer({ key, data: result });
        setFailure(null);
        setPending(false);
      },
      (caught: unknown) => {
        if (!live) return;
        setFailure({ key, error: caught instanceof ApiError ? caught : new ApiError(0, 'client', String(caught)) });
        setPending(false);
      },
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const data = answer?.key === key ? answer.data : null;
  const error = failure?.key === key ? failure.error : null;
  const loading = pending || (data === null && error === null);
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

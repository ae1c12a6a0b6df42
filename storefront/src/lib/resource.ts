import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * The little of a query library the storefront needs: answers cached by key (going back to a page shows
 * what it showed at once, then refreshes), optional polling while the page is visible, and errors kept
 * beside the last good answer so a dropped connection never blanks a page.
 */
const cache = new Map<string, unknown>();

export function primeCache(key: string, value: unknown): void {
  cache.set(key, value);
}

export function forget(prefix: string): void {
  for (const key of cache.keys()) if (key.startsWith(prefix)) cache.delete(key);
}

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): Promise<void>;
  set(value: T): void;
}

export function useResource<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>, options: { refreshMs?: number } = {}): Resource<T> {
  const [state, setState] = useState<{ key: string | null; data: T | undefined; error: unknown; loading: boolean }>(() => ({
    key,
    data: key === null ? undefined : (cache.get(key) as T | undefined),
    error: null,
    loading: key !== null,
  }));
  const loader = useRef(load);
  loader.current = load;
  const controller = useRef<AbortController | null>(null);

  const reload = useCallback(async () => {
    if (key === null) return;
    controller.current?.abort();
    const c = (controller.current = new AbortController());
    setState((s) => (s.key === key ? { ...s, loading: true } : { key, data: cache.get(key) as T | undefined, error: null, loading: true }));
    try {
      const data = await loader.current(c.signal);
      if (c.signal.aborted) return;
      cache.set(key, data);
      setState({ key, data, error: null, loading: false });
    } catch (error) {
      if (c.signal.aborted) return;
      setState((s) => ({ key, data: s.key === key ? s.data : undefined, error, loading: false }));
    }
  }, [key]);

  useEffect(() => {
    void reload();
    return () => controller.current?.abort();
  }, [reload]);

  useEffect(() => {
    if (!options.refreshMs || key === null) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible' && navigator.onLine !== false) void reload();
    }, options.refreshMs);
    const onVisible = () => document.visibilityState === 'visible' && void reload();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [options.refreshMs, key, reload]);

  const set = useCallback(
    (value: T) => {
      if (key !== null) cache.set(key, value);
      setState({ key, data: value, error: null, loading: false });
    },
    [key],
  );

  const current = state.key === key ? state : { data: key === null ? undefined : (cache.get(key) as T | undefined), error: null, loading: key !== null };
  return { data: current.data, error: current.error, loading: current.loading, reload, set };
}

/** A clock that ticks every `ms` (countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

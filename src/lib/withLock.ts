import type { Store } from '../core/store';
import { uuid } from './uuid';

/**
 * Runs `fn` while holding the origin-wide lock `name`, so only one tab flushes at a time.
 * Web Locks where available (released even if the tab crashes). Elsewhere a lease in the
 * store, taken with one atomic read-write transaction; a lease lasts 60 s, longer than a
 * request may take. Resolves false when the lease is held by another tab.
 */
export function withLock(name: string, store: Store, fn: () => Promise<void>): Promise<boolean> {
  const locks = (navigator as any).locks;
  if (locks) return locks.request(name, () => fn().then(() => true));
  const me = uuid();
  let won = false;
  return store
    .update('l', (l) => (!l || l.t < Date.now() ? ((won = true), { i: me, t: Date.now() + 6e4 }) : l))
    .then((): unknown => won && fn().finally(() => store.update('l', (l) => (l && l.i == me ? 0 : l))))
    .then(() => won);
}

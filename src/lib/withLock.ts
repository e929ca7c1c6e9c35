import type { Store } from '../core/store';
import { uuid } from './uuid';

/** Lease length without Web Locks: longer than a request may take (30 s). */
const LEASE = 6e4;

/**
 * Runs `fn` while holding the origin-wide lock `name`, so only one tab flushes at a time.
 * Web Locks where available (released even if the tab crashes). Elsewhere a lease in the
 * store, taken with one atomic read-write transaction. `fn` gets `renew`, to call before each
 * request: it extends the lease and resolves false if another tab took it meanwhile (a
 * lease runs out while a slow drain goes on), so that `fn` stops instead of sending what the
 * other tab is sending. A lease ending further ahead than a lease lasts was taken under a
 * clock set wrong, and is void. Resolves false when the lease is held by another tab. `signal`
 * withdraws a Web Lock request not granted yet (rejecting with AbortError).
 */
export function withLock(name: string, store: Store, fn: (renew?: () => Promise<boolean>) => Promise<void>, signal?: AbortSignal): Promise<boolean> {
  // A memory store is this page's alone, and needs no lock across tabs: where IndexedDB is
  // denied (a frame sandboxed without allow-same-origin), Web Locks throw SecurityError too.
  const locks = !store.mem && (navigator as any).locks;
  if (locks) return locks.request(name, { signal }, () => fn().then(() => true));
  const me = uuid();
  let won = false;
  const take = () =>
    store.update('l', (l) => {
      const now = Date.now();
      won = !l || l.i == me || l.t < now || l.t > now + LEASE;
      return won ? { i: me, t: now + LEASE } : l;
    });
  return take()
    .then((): unknown => won && fn(() => take().then(() => won)).finally(() => store.update('l', (l) => (l && l.i == me ? 0 : l))))
    .then(() => won);
}

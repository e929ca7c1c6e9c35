import { IDBFactory } from 'fake-indexeddb';
import { vi } from 'vitest';
import type { BatchBody, WaymarkEvent } from '../src/types';

export interface Sent {
  url: string;
  init: RequestInit;
  body: BatchBody;
}

/**
 * Replaces fetch with a scripted collector. `respond` decides each answer; the default is 200.
 * Throwing from `respond` simulates a network error.
 */
export function fakeCollector(respond?: (req: Sent, n: number) => Response | Promise<Response>) {
  const requests: Sent[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const req = { url: String(url), init, body: JSON.parse(String(init.body)) };
    requests.push(req);
    return respond ? respond(req, requests.length) : new Response('{}', { status: 200 });
  });
  vi.stubGlobal('fetch', fetch);
  return {
    fetch,
    requests,
    /** From now on answers with `next`; without it, 200: the collector is back. */
    respondWith: (next?: typeof respond) => void (respond = next),
    events: (): WaymarkEvent[] => requests.flatMap((r) => r.body.batch),
    names: (): string[] => requests.flatMap((r) => r.body.batch.map((e) => e.event || e.type)),
  };
}

/** A fresh, empty IndexedDB for each test. */
export function freshIndexedDB() {
  const f = new IDBFactory();
  vi.stubGlobal('indexedDB', f);
  return f;
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** The page goes into the back/forward cache (`pagehide`) or comes back from it (`pageshow`). */
export const bfcache = (type: 'pagehide' | 'pageshow') => window.dispatchEvent(Object.assign(new Event(type), { persisted: true }));

/** Polls `cond` on real timers; fails with `what` after ~2 s. */
export async function until(cond: () => unknown, what = 'condition', ms = 2000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await tick(5);
  }
}

/** Names of the IndexedDB databases that exist. */
export const databases = async (f: IDBFactory) => (await f.databases()).map((d) => d.name);

/** Everything stored in the tracker's database, without creating it if it is missing. */
export async function dump(f: IDBFactory, name = 'waymark'): Promise<Record<string, any>> {
  if (!(await databases(f)).includes(name)) return {};
  const db: IDBDatabase = await new Promise((res, rej) => {
    const r = f.open(name);
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
  const out: Record<string, any> = {};
  if (!db.objectStoreNames.contains('q')) return db.close(), out;
  await new Promise<void>((res) => {
    const tx = db.transaction('q');
    const c = tx.objectStore('q').openCursor();
    c.onsuccess = () => {
      if (!c.result) return;
      out[String(c.result.key)] = c.result.value;
      c.result.continue();
    };
    tx.oncomplete = () => res();
  });
  db.close();
  return out;
}

/** Lets fake-indexeddb (setImmediate) and promise chains run, without touching timers. */
export async function settle(rounds = 100) {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Stored event rows (`e…` keys) in the tracker's database. */
export const queued = async (f: IDBFactory, name = 'waymark') =>
  Object.entries(await dump(f, name))
    .filter(([k]) => k[0] == 'e')
    .map(([, v]) => JSON.parse(v[0]) as WaymarkEvent);

/**
 * Makes every IndexedDB write abort at commit, as a full disk does (quota is checked when the
 * transaction commits, after put() returned). Undo with vi.restoreAllMocks().
 */
export function abortWritesAtCommit() {
  const orig = IDBObjectStore.prototype.put;
  return vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...a: any[]) {
    const r = orig.apply(this, a as any);
    const tx = this.transaction;
    queueMicrotask(() => {
      try {
        tx.abort();
      } catch {}
    });
    return r;
  });
}

/**
 * What a page torn down does to IndexedDB: returns unload(), which aborts every transaction
 * not yet finished and not commit()ed. (A closing document takes its open transactions
 * down with it; one committed explicitly lands.) Undo with vi.restoreAllMocks().
 */
export function teardown() {
  const open = new Set<IDBTransaction>();
  const { transaction } = IDBDatabase.prototype;
  const { commit } = IDBTransaction.prototype;
  vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...a: any[]) {
    const tx = transaction.apply(this, a as any);
    open.add(tx);
    const end = () => open.delete(tx);
    tx.addEventListener('complete', end);
    tx.addEventListener('abort', end);
    return tx;
  });
  vi.spyOn(IDBTransaction.prototype, 'commit').mockImplementation(function (this: IDBTransaction) {
    open.delete(this);
    return commit.call(this);
  });
  return () =>
    open.forEach((tx) => {
      try {
        tx.abort();
      } catch {}
    });
}

import { createStore, promisifyRequest as done } from 'idb-keyval';

/**
 * The queue's storage, one object store. Event keys are `e` + base-36 time (8) + this tab's
 * sequence (4) + the event's JSON length (4) + its messageId: they sort by time, and the
 * queue's bounds (count, bytes, age) can be checked from the keys alone, without loading a
 * single event. Other keys: `v` the visitor record, `d` the dropped count, `b` page-hide
 * beacon marks, `l` the lock lease where Web Locks are missing.
 */
export interface Store {
  /** Writes rows and deletes keys in one transaction; `now` commits it at once (page hide). */
  put(rows: [string, unknown][], deletes?: string[], now?: boolean): Promise<unknown>;
  /** Aborts the row writes still in progress (page hide: their rows go another way). */
  cancel(): void;
  /** Every event key, oldest first. */
  keys(): Promise<string[]>;
  /** The oldest `count` events, as [key, value]. */
  events(count: number): Promise<[string, any][]>;
  get(key: string): Promise<any>;
  /** An atomic read-modify-write of one key, deleting `deletes` in the same transaction. */
  update(key: string, fn: (old: any) => any, deletes?: string[]): Promise<void>;
  /** Set on the memory fallback. */
  mem?: 1;
  /** Empties and closes what this store opened (the tracker deletes the database). */
  drop(): Promise<unknown>;
  close(): Promise<unknown>;
}

/** IndexedDB through idb-keyval's custom store. The database is only opened on first use. */
export function idbStore(name: string): Store {
  const raw = createStore(name, 'q');
  /** A connection was asked for: one never asked for is not opened to be closed or erased (that would create the database). */
  let held: unknown;
  // Opening can throw synchronously (no indexedDB, sandboxed frames): make every call a promise.
  const use: typeof raw = async (mode, fn) => ((held = 1), raw(mode, fn));
  const EVENTS = () => IDBKeyRange.bound('e', 'f', false, true);
  const close = async () => held && use('readonly', (s) => s.transaction.db.close()).catch(() => {});
  /** Row writes not yet complete, for cancel(). */
  const pending = new Set<IDBTransaction & { x?: 1 }>();
  return {
    put: (rows, deletes = [], now) =>
      use('readwrite', (s) => {
        const tx: IDBTransaction & { x?: 1 } = s.transaction;
        rows.forEach(([k, v]) => s.put(v, k));
        deletes.forEach((k) => s.delete(k));
        // On page hide, commit now rather than when the task ends: the write then usually
        // lands although the page is torn down right after. Only then: committing every
        // write at once doubles the main-thread cost of a click.
        if (now) tx.commit?.();
        else if (rows[0]) pending.add(tx);
        // A cancelled write resolves: its rows were taken care of by whoever cancelled it.
        return done(tx).then(
          () => pending.delete(tx),
          (e) => {
            pending.delete(tx);
            if (!tx.x) throw e;
          },
        );
      }),
    cancel: () =>
      pending.forEach((tx) => {
        try {
          tx.abort();
          tx.x = 1;
        } catch {}
      }),
    keys: () => use('readonly', (s) => done(s.getAllKeys(EVENTS()))) as Promise<string[]>,
    // getAll and getAllKeys walk the same range in the same order: zip them.
    events: (n) =>
      use('readonly', (s) => Promise.all([done(s.getAllKeys(EVENTS(), n)), done(s.getAll(EVENTS(), n))])).then(([k, v]) =>
        k.map((key, i) => [key as string, v[i]]),
      ),
    get: (k) => use('readonly', (s) => done(s.get(k))),
    // The put runs in the read's own callback, while the transaction is still active.
    // (idb-keyval's update() would also bring in its default store.)
    update: (k, fn, deletes = []) =>
      use('readwrite', (s) => {
        deletes.forEach((k) => s.delete(k));
        const r = s.get(k);
        r.onsuccess = () => s.put(fn(r.result), k);
        return done(s.transaction);
      }),
    // Our own connection is emptied and closed, or the revoking tab's delete waits on it.
    drop: () => (held ? use('readwrite', (s) => (s.clear(), done(s.transaction))).then(close, close) : close()),
    close,
  };
}

/** Deletes the database without opening it (opening would create it). Never rejects. */
export const dropDatabase = (name: string): Promise<unknown> =>
  new Promise((r) => {
    try {
      done(indexedDB.deleteDatabase(name)).then(r, r);
    } catch {
      r(0);
    }
  });

/** The fallback where IndexedDB is missing or broken: the same contract, living with the page. */
export function memoryStore(): Store {
  const m = new Map<string, unknown>();
  const events = () => [...m].filter(([k]) => k[0] == 'e').sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return {
    put: async (rows, deletes = []) => {
      rows.forEach(([k, v]) => m.set(k, v));
      deletes.forEach((k) => m.delete(k));
    },
    keys: async () => events().map(([k]) => k),
    events: async (n) => events().slice(0, n),
    get: async (k) => m.get(k),
    update: async (k, fn, deletes = []) => void (m.set(k, fn(m.get(k))), deletes.forEach((k) => m.delete(k))),
    drop: async () => m.clear(),
    close: async () => {},
    cancel: () => {},
    mem: 1,
  };
}

import { createStore, promisifyRequest as done, update } from 'idb-keyval';

/**
 * The queue's storage. Keys: `e…` one per event (sorted by time), `v` the visitor record,
 * `d` the dropped count, `b` page-hide beacon marks, `l` the lock lease where Web Locks
 * are missing. One object store, so one transaction can write events and the visitor.
 */
export interface Store {
  /** Writes rows and deletes keys in one transaction. */
  put(rows: [string, unknown][], deletes?: string[]): Promise<unknown>;
  /** Every row, sorted by key. */
  all(): Promise<[string, any][]>;
  /** An atomic read-modify-write of one key. */
  update(key: string, fn: (old: any) => any): Promise<void>;
  /** Erases everything, the database included. */
  drop(): Promise<unknown>;
  close(): Promise<unknown>;
}

/** IndexedDB through idb-keyval's custom store. The database is only opened on first use. */
export function idbStore(name: string): Store {
  const raw = createStore(name, 'q');
  // Opening can throw synchronously (no indexedDB, sandboxed frames): make every call a promise.
  const use: typeof raw = (mode, fn) => Promise.resolve().then(() => raw(mode, fn));
  const close = () => use('readonly', (s) => s.transaction.db.close()).catch(() => {});
  return {
    put: (rows, deletes = []) =>
      use('readwrite', (s) => {
        rows.forEach(([k, v]) => s.put(v, k));
        deletes.forEach((k) => s.delete(k));
        return done(s.transaction);
      }),
    // getAll/getAllKeys return in key order: zip them.
    all: () =>
      use('readonly', (s) => Promise.all([done(s.getAllKeys()), done(s.getAll())])).then(([k, v]) =>
        k.map((key, i) => [key as string, v[i]]),
      ),
    update: (k, fn) => update(k, fn, use),
    // Close our connection first, or deleteDatabase stays blocked until the tab closes.
    drop: () => use('readwrite', (s) => (s.clear(), done(s.transaction))).then(close, close).then(() => dropDatabase(name)),
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
  return {
    put: async (rows, deletes = []) => {
      rows.forEach(([k, v]) => m.set(k, v));
      deletes.forEach((k) => m.delete(k));
    },
    all: async () => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    update: async (k, fn) => void m.set(k, fn(m.get(k))),
    drop: async () => m.clear(),
    close: async () => {},
  };
}

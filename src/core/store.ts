import { clear, createStore, entries, get, promisifyRequest, update, type UseStore } from 'idb-keyval';

/**
 * The queue's storage. Keys: `e…` one per event (sorted by time), `v` the visitor record,
 * `d` the dropped count, `b` page-hide beacon marks, `l` the lock lease where Web Locks
 * are missing. One object store, so one transaction can write events and the visitor.
 */
export interface Store {
  put(entries: [string, unknown][], deletes?: string[]): Promise<void>;
  all(): Promise<[string, any][]>;
  get(key: string): Promise<any>;
  update(key: string, fn: (old: any) => any): Promise<void>;
  /** Erase everything and the database itself. */
  drop(): Promise<void>;
  close(): Promise<void>;
}

/** IndexedDB through idb-keyval, with a custom store. Opens the database on first use. */
export function idbStore(name: string): Store {
  const use: UseStore = createStore(name, 'q');
  return {
    put: (rows, deletes = []) =>
      use('readwrite', (s) => {
        rows.forEach(([k, v]) => s.put(v, k));
        deletes.forEach((k) => s.delete(k));
        return promisifyRequest(s.transaction);
      }),
    all: () => entries(use) as Promise<[string, any][]>,
    get: (k) => get(k, use),
    update: (k, fn) => update(k, fn, use),
    drop() {
      // Close our connection first, or deleteDatabase stays blocked until the tab closes.
      return clear(use)
        .then(this.close)
        .then(() => dropDatabase(name))
        .then(() => {});
    },
    close: () => use('readonly', (s) => s.transaction.db.close()).catch(() => {}),
  };
}

/** Delete the database without opening it (opening would create it). Never rejects. */
export const dropDatabase = (name: string): Promise<unknown> =>
  typeof indexedDB == 'object' ? promisifyRequest(indexedDB.deleteDatabase(name)).catch(() => {}) : Promise.resolve();

/** The fallback where IndexedDB is missing or broken: same contract, lives with the page. */
export function memoryStore(): Store {
  const m = new Map<string, unknown>();
  return {
    put: async (rows, deletes = []) => {
      rows.forEach(([k, v]) => m.set(k, v));
      deletes.forEach((k) => m.delete(k));
    },
    all: async () => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    get: async (k) => m.get(k),
    update: async (k, fn) => void m.set(k, fn(m.get(k))),
    drop: async () => m.clear(),
    close: async () => {},
  };
}

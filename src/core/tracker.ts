import type {
  BatchBody,
  ConsentState,
  Feedback,
  PageContext,
  Plugin,
  PluginContext,
  Properties,
  Tracker,
  TrackerOptions,
  WaymarkError,
  WaymarkEvent,
} from '../types';
import { listen } from '../lib/listen';
import { redactUrl } from '../lib/redactUrl';
import { retryDelay } from '../lib/retryDelay';
import { uuid } from '../lib/uuid';
import { withLock } from '../lib/withLock';
import { VERSION } from '../version';
import { checkOptions } from './checkOptions';
import { dropDatabase, idbStore, memoryStore, type Store } from './store';

/** Browsers cap in-flight keepalive bodies at 64 KiB per page; stay under it with room for the envelope. */
const MAX_BATCH_BYTES = 6e4;
const MAX_EVENT_BYTES = 32e3;
/** A page-hide beacon may have arrived even though its page never saw the answer; wait this long before re-sending. */
const BEACON_GRACE = 3e4;
const REQUEST_TIMEOUT = 3e4;

interface Visitor {
  /** anonymousId, userId, session id, last activity, session count, session start */
  a: string;
  u?: string | null;
  s?: string;
  t?: number;
  n?: number;
  [plugin: string]: unknown;
}

/**
 * Creates a tracker. Throws only for programmer mistakes (no endpoint, a bad option type);
 * at run time nothing it does throws into the page. Safe to call during SSR: without a
 * `window` it returns a tracker that ignores every call.
 */
export function createTracker(options: TrackerOptions): Tracker {
  const o = checkOptions(options);
  const browser = typeof window == 'object' && typeof document == 'object';
  const dbName = o.storageName;
  const plugins: Plugin[] = [...o.capture, ...(o.stages ? [o.stages] : []), ...o.plugins];
  const subs: Record<string, Set<(d: any) => void>> = {};
  const offs: (() => void)[] = [];

  let state: ConsentState = o.consent;
  let dead = !browser;
  let store: Store | undefined;
  /** Resolves when the persisted visitor has been read after a grant; undefined until granted. */
  let hydrated: Promise<void> | undefined;
  let ready = false;
  let holds = 0;
  let draining = false;
  /** Raw events waiting for a hold (rules loading) to release. */
  let waiting: WaymarkEvent[] = [];
  /** Processed events waiting for consent or for the visitor to be read. */
  let held: WaymarkEvent[] = [];
  let heldDropped = 0;
  /** Rows not yet written, and this tab's written-but-undelivered events (for the page-hide beacon). */
  let buffer: [string, unknown][] = [];
  const mine = new Map<string, string>();
  const inflight = new Set<string>();
  let writeQueued = false;
  let writing: Promise<unknown> = Promise.resolve();
  let visitorDirty = false;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> | undefined;
  let again = false;
  let attempt = 0;
  let retryAt = 0;
  let abort: AbortController | undefined;
  let hiddenSent = false;
  let lastUrl: string | undefined;
  let referrer = '';
  let channel: BroadcastChannel | undefined;

  const started = Date.now();
  const fresh = (): Visitor => ({ a: uuid(), u: null });
  let v: Visitor = fresh();

  const emit = (name: string, data: unknown) =>
    subs[name]?.forEach((fn) => {
      try {
        fn(data);
      } catch {
        // A listener's bug is the site's; it must not stop delivery.
      }
    });

  const report = (err: WaymarkError) => {
    emit('error', err);
    // Transient delivery trouble is normal (offline, ad blockers); only debug mode logs it.
    if (o.debug || !/network|dropped/.test(err.code)) console.warn('[waymark] ' + err.code + ': ' + err.message);
  };

  const guard =
    <A extends unknown[]>(fn: (...a: A) => void) =>
    (...a: A) => {
      if (dead) return;
      try {
        fn(...a);
      } catch (e) {
        report({ code: 'plugin', message: String(e) });
      }
    };

  const page = (): PageContext => {
    const url = redactUrl(location.href, o.redact);
    // In an SPA the referrer of a page view is the previous in-app URL, not document.referrer.
    if (url != lastUrl) {
      referrer = lastUrl ?? redactUrl(document.referrer, o.redact);
      lastUrl = url;
    }
    const u = new URL(url);
    return { url, path: u.pathname, referrer, title: document.title, search: u.search };
  };

  const make = (type: WaymarkEvent['type'], fields: Partial<WaymarkEvent>): WaymarkEvent => {
    const now = Date.now();
    if (!v.s || now - (v.t || 0) > o.sessionTimeout) {
      v.s = uuid();
      v.n = (v.n || 0) + 1;
    }
    v.t = now;
    visitorDirty = true;
    return {
      type,
      ...fields,
      messageId: uuid(),
      anonymousId: v.a,
      userId: v.u ?? null,
      timestamp: new Date(now).toISOString(),
      context: {
        library: { name: 'waymark', version: VERSION },
        page: page(),
        userAgent: navigator.userAgent,
        locale: navigator.language,
        session: { id: v.s, number: v.n! },
      },
    };
  };

  const enqueue = (e: WaymarkEvent) => {
    waiting.push(e);
    drain();
  };

  // Plugins may track() from inside beforeSend (the stage engine does); `draining` turns
  // that re-entry into a push, so events leave in the order they were made.
  const drain = () => {
    if (draining) return;
    draining = true;
    try {
      while (!holds && waiting.length) run(waiting.shift()!);
    } finally {
      draining = false;
    }
  };

  const run = (e: WaymarkEvent) => {
    for (const p of plugins) {
      if (!p.beforeSend) continue;
      try {
        const r = p.beforeSend(e);
        if (r === null) return;
        if (r) e = r;
      } catch (err) {
        report({ code: 'plugin', message: p.name + ': ' + err });
      }
    }
    if (o.beforeSend) {
      try {
        const r = o.beforeSend(e);
        if (r === null) return;
        if (r) e = r;
      } catch (err) {
        report({ code: 'config', message: 'beforeSend threw: ' + err });
      }
    }
    if (o.debug) console.debug('[waymark]', state, e.type, e.event || e.name || '', e);
    emit('event', e);
    if (state == 'granted' && ready) persist(e);
    else if (state != 'denied') {
      // Pending consent: memory only, bounded. Keep the earliest events (the landing page
      // view carries the attribution) and count what does not fit.
      if (held.length < o.maxPending) held.push(e);
      else heldDropped++;
    }
  };

  const persist = (e: WaymarkEvent) => {
    let json: string;
    try {
      json = JSON.stringify(e);
    } catch (err) {
      // e.g. a cyclic property: lose this event, not the ones behind it.
      return report({ code: 'dropped', message: `event "${e.event || e.type}" cannot be serialised: ${err}`, count: 1 });
    }
    if (json.length > MAX_EVENT_BYTES) {
      return report({ code: 'dropped', message: `event "${e.event || e.type}" is over 32 KB`, count: 1 });
    }
    // Keys sort by time, then by this tab's sequence; the messageId keeps tabs apart.
    // Base-36 milliseconds stay 8 characters long until 2059.
    const key = 'e' + Date.now().toString(36) + (seq++).toString(36).padStart(4, '0') + e.messageId;
    buffer.push([key, [json]]);
    mine.set(key, json);
    if (!writeQueued) {
      writeQueued = true;
      // One transaction for everything tracked in this task.
      queueMicrotask(write);
    }
  };

  const write = () => {
    writeQueued = false;
    // Before the saved visitor is read, writing ours would overwrite it.
    if (!store || !ready || state != 'granted') return;
    const rows = buffer.splice(0);
    if (visitorDirty) rows.push(['v', v]), (visitorDirty = false);
    if (!rows.length) return;
    const count = mine.size;
    writing = store
      .put(rows)
      .catch((err) => storageFailed(err, rows))
      .then(() => {
        if (count >= o.batchSize) flush(true);
        else schedule(o.flushInterval);
      });
  };

  /** A write failed: make room and retry once if full, else continue in memory. Loses nothing written. */
  const storageFailed = async (err: any, rows: [string, unknown][]) => {
    const quota = err && err.name == 'QuotaExceededError';
    report({ code: quota ? 'quota' : 'storage', message: String(err && (err.message || err.name)) });
    if (quota) {
      try {
        const keys = (await store!.all()).filter(([k]) => k[0] == 'e');
        const evict = keys.slice(0, Math.ceil(keys.length / 4)).map(([k]) => k);
        await store!.put([], evict);
        await dropped(store!, evict.length);
        return await store!.put(rows);
      } catch {}
    }
    report({ code: 'storage', message: 'IndexedDB is unavailable; the queue is kept in memory for this page only.' });
    store = memoryStore();
    await store.put(rows);
  };

  const dropped = (s: Store, n: number) =>
    n &&
    (report({ code: 'dropped', message: n + ' events evicted', count: n }),
    s.update('d', (d) => (d || 0) + n));

  const schedule = (ms: number) => {
    if (!timer && !dead) timer = setTimeout(() => ((timer = undefined), flush(true)), ms);
  };

  const envelope = (parts: string[], droppedCount: number): string => {
    const body =
      '{"batch":[' + parts + '],"sentAt":"' + new Date().toISOString() + '"' +
      (droppedCount ? ',"dropped":' + droppedCount : '') + '}';
    return o.transform ? JSON.stringify(o.transform(JSON.parse(body) as BatchBody)) : body;
  };

  /** Reads the queue, enforces its bounds, and picks the oldest sendable events. */
  const take = async (s: Store) => {
    const rows = await s.all();
    const now = Date.now();
    const meta: Record<string, any> = {};
    const events: [string, string][] = [];
    for (const [k, val] of rows) k[0] == 'e' ? events.push([k, val[0]]) : (meta[k] = val);
    const marks: Record<string, number> = meta.b || {};
    const stale = Object.keys(marks).filter((k) => marks[k] <= now - BEACON_GRACE);
    if (stale.length) {
      stale.forEach((k) => delete marks[k]);
      await s.put([['b', marks]]);
    }
    const evict: string[] = [];
    let n = 0;
    let bytes = 0;
    for (let i = events.length; i--; ) {
      const [k, json] = events[i];
      bytes += json.length;
      if (++n > o.maxQueue || bytes > o.maxQueueBytes || parseInt(k.slice(1, 9), 36) < now - o.maxAge) evict.push(k);
    }
    if (evict.length) {
      await s.put([], evict);
      await dropped(s, evict.length);
      meta.d = (meta.d || 0) + evict.length;
    }
    const keys: string[] = [];
    const parts: string[] = [];
    let size = 0;
    for (const [k, json] of events) {
      if (evict.includes(k) || inflight.has(k) || marks[k] > now - BEACON_GRACE) continue;
      if (keys.length >= o.batchSize || size + json.length > MAX_BATCH_BYTES) break;
      keys.push(k);
      parts.push(json);
      size += json.length + 1;
    }
    return keys.length ? { keys, body: envelope(parts, meta.d), dropped: meta.d || 0 } : undefined;
  };

  const delivered = (s: Store, keys: string[], droppedCount = 0) => {
    keys.forEach((k) => mine.delete(k));
    return Promise.all([
      s.put([], keys),
      droppedCount && s.update('d', (d) => Math.max(0, (d || 0) - droppedCount)),
    ]);
  };

  /** Sends batches until the queue is empty, a send fails (then backs off), or consent changes. */
  const loop = async (s: Store) => {
    // `store == s`: a revoke, or a switch to the memory fallback, ends this loop.
    for (let b; state == 'granted' && !dead && store == s && (b = await take(s)); ) {
      b.keys.forEach((k) => inflight.add(k));
      const ctrl = (abort = new AbortController());
      const t = setTimeout(() => ctrl.abort(), REQUEST_TIMEOUT);
      let res: Response | undefined;
      try {
        res = await fetch(o.endpoint, {
          method: 'POST',
          body: b.body,
          headers: { 'Content-Type': 'application/json', ...o.headers },
          credentials: 'omit',
          signal: ctrl.signal,
        });
      } catch {}
      clearTimeout(t);
      b.keys.forEach((k) => inflight.delete(k));
      const status = res ? res.status : 0;
      if (state != 'granted' || store != s) return;
      if (status > 199 && status < 300) {
        attempt = 0;
        retryAt = 0;
        await delivered(s, b.keys, b.dropped);
        emit('sent', { count: b.keys.length, status });
      } else if (!status || status == 408 || status == 429 || status > 499) {
        const wait = retryDelay(++attempt, res && res.headers.get('Retry-After'));
        retryAt = Date.now() + wait;
        report({ code: 'network', message: `delivery failed (${status || 'no response'}); retry ${attempt} in ${Math.round(wait / 1e3)} s`, status });
        clearTimeout(timer);
        timer = undefined;
        schedule(wait);
        return;
      } else {
        // The collector refused this batch as it is; sending it again cannot succeed.
        await delivered(s, b.keys, b.dropped);
        report({ code: 'rejected', message: `collector answered ${status}; ${b.keys.length} events dropped`, status, count: b.keys.length });
      }
    }
  };

  /** `auto` flushes (timer, size) respect the backoff; an explicit flush() tries now. */
  const flush = (auto?: boolean): Promise<void> => {
    if (dead || state != 'granted' || !hydrated || (auto && retryAt > Date.now())) return Promise.resolve();
    if (flushing) {
      again = true;
      return flushing;
    }
    write();
    return (flushing = hydrated
      .then(() => writing)
      .then(() => {
        const s = store;
        return s && state == 'granted' && withLock('waymark:' + dbName, s, () => loop(s));
      })
      .then((ran) => {
        if (ran === false) schedule(o.flushInterval);
      })
      .catch((err) => report({ code: 'storage', message: String(err) }))
      .then(() => {
        flushing = undefined;
        if (again) {
          again = false;
          return flush(auto);
        }
      }));
  };

  /**
   * Page hide: hand this tab's undelivered events to a keepalive request, newest first up
   * to the size cap, and mark them so no other flush re-sends them for a grace period.
   * If the page lives to see the answer, they are deleted (or unmarked on failure);
   * otherwise they stay queued and are re-sent after the grace, with the same messageIds.
   */
  const beacon = () => {
    write();
    if (state != 'granted' || !ready || retryAt > Date.now()) return;
    const keys: string[] = [];
    const parts: string[] = [];
    let size = 0;
    for (const [k, json] of [...mine].reverse()) {
      if (inflight.has(k)) continue;
      if (size + json.length > MAX_BATCH_BYTES) break;
      keys.unshift(k);
      parts.unshift(json);
      size += json.length + 1;
    }
    if (!keys.length) return;
    const s = store!;
    const now = Date.now();
    const mark = (on: boolean) =>
      s.update('b', (b) => {
        b = b || {};
        keys.forEach((k) => (on ? (b[k] = now) : delete b[k]));
        return b;
      });
    keys.forEach((k) => mine.delete(k));
    mark(true).catch(() => {});
    const body = envelope(parts, 0);
    try {
      // A string body is text/plain: CORS-simple, so no preflight that could be dropped on unload.
      fetch(o.endpoint, { method: 'POST', body, keepalive: true, credentials: 'omit' })
        .then((r): unknown => r.ok && s.put([], keys), () => 0)
        .then(() => mark(false))
        .catch(() => {});
    } catch {
      navigator.sendBeacon?.(o.endpoint, body);
    }
  };

  const onVisibility = (e: Event) => {
    if (e.type == 'pagehide' || document.visibilityState == 'hidden') {
      if (!hiddenSent) (hiddenSent = true), beacon();
    } else hiddenSent = false;
  };

  // ---- consent ----

  const grant = () => {
    state = 'granted';
    const s = (store = idbStore(dbName));
    const tmp = { ...v };
    // Through a resolved promise, so that a missing indexedDB (a sync ReferenceError) lands in catch too.
    const h: Promise<void> = (hydrated = Promise.resolve()
      .then(() => s.get('v'))
      .catch((err) => {
        if (store != s) return;
        // Private modes and blocked storage: keep working, for this page only, and say so.
        report({ code: 'storage', message: 'IndexedDB is unavailable (' + err + '); the queue is kept in memory for this page only.' });
        store = memoryStore();
      })
      .then((saved: Visitor | undefined) => {
        // Revoked (or revoked and granted again) while reading: this grant is void.
        if (hydrated != h || dead) return;
        if (saved && saved.a) {
          // A returning visitor: keep their ids; continue their session if it is still open.
          const continues = saved.s && started - (saved.t || 0) < o.sessionTimeout;
          const n = continues ? saved.n! : (saved.n || 0) + 1;
          v = { ...saved, ...v, a: saved.a, u: v.u ?? saved.u, s: continues ? saved.s : v.s, n };
          for (const e of [...waiting, ...held]) {
            if (e.anonymousId == tmp.a) e.anonymousId = saved.a;
            if (e.context.session.id == tmp.s) e.context.session = { id: v.s!, number: n };
            if (!e.userId && v.u) e.userId = v.u;
          }
          plugins.forEach((p) => p.restore && guard(p.restore)(saved));
        }
        visitorDirty = true;
        ready = true;
        const n = heldDropped;
        heldDropped = 0;
        if (n) store!.update('d', (d) => (d || 0) + n).catch(() => {});
        held.splice(0).forEach(persist);
        write();
      }));
    // Send what earlier visits left behind.
    h.then(() => flush(true));
  };

  const forget = () => {
    held = [];
    heldDropped = 0;
    buffer = [];
    mine.clear();
    ready = false;
    hydrated = undefined;
    abort?.abort();
    clearTimeout(timer);
    timer = undefined;
    v = fresh();
    t.stage = null;
    plugins.forEach((p) => p.reset && guard(p.reset)());
  };

  const setConsent = (next: ConsentState, fromOtherTab?: boolean) => {
    if (dead || next == state) return;
    if (next == 'granted') {
      if (gpc) {
        return report({ code: 'consent', message: 'Global Privacy Control or Do Not Track is on, so consent stays denied. Set respectGpc: false to let an explicit grant override it.' });
      }
      grant();
    } else if (next == 'denied') {
      const s = store;
      state = 'denied';
      store = undefined;
      forget();
      // Erase what earlier visits stored too: the queue, the ids and the stage.
      (s ? s.drop() : dropDatabase(dbName)).catch(() => {});
    } else {
      return report({ code: 'consent', message: `consent("${next}") is not a change Waymark can make; use "granted" or "denied"` });
    }
    t.consentState = state;
    if (!fromOtherTab) channel?.postMessage(state);
    emit('consent', state);
  };

  // ---- public surface ----

  const nav = browser ? (navigator as any) : {};
  const gpc = o.respectGpc && (nav.globalPrivacyControl === true || nav.doNotTrack == '1' || (browser && (window as any).doNotTrack == '1'));

  const t: PluginContext & { stage: string | null; consentState: ConsentState } = {
    stage: null,
    consentState: state,
    options: o,
    track: guard((event: string, properties?: Properties, element?: Element) => {
      if (typeof event != 'string' || !event) return report({ code: 'config', message: 'track() needs an event name' });
      const e = make('track', { event, properties: { ...properties } });
      // Not enumerable, so it is never serialised: stage rules use it to match CSS selectors.
      if (element) Object.defineProperty(e, 'element', { value: element });
      enqueue(e);
    }),
    page: guard((name?: string, properties?: Properties) => {
      const e = make('page', name ? { name } : {});
      e.properties = { ...e.context.page, ...properties };
      enqueue(e);
    }),
    identify: guard((userId: string | null, traits?: Properties) => {
      v.u = userId == null ? null : String(userId);
      enqueue(make('identify', { traits: { ...traits } }));
    }),
    reset: guard(() => {
      v = { ...fresh(), n: v.n };
      visitorDirty = true;
      t.stage = null;
      plugins.forEach((p) => p.reset && guard(p.reset)());
      write();
    }),
    consent: guard((s: ConsentState) => setConsent(s)),
    feedback: guard((f: Feedback) => {
      if (!f || typeof f.score != 'number' || !/^(csat|nps|ces)$/.test(f.scale)) {
        return report({ code: 'config', message: 'feedback() needs { score: number, scale: "csat" | "nps" | "ces" }' });
      }
      t.track('Feedback Submitted', { ...f, comment: f.comment ? String(f.comment).slice(0, 1000) : undefined, stage: t.stage });
    }),
    flush: () => (dead ? Promise.resolve() : flush()),
    on: (name, fn) => {
      (subs[name] ||= new Set()).add(fn);
      return () => void subs[name].delete(fn);
    },
    emit,
    report,
    hold: () => {
      holds++;
      let done = false;
      return () => {
        if (!done) (done = true), holds--, drain();
      };
    },
    save: (key, value) => {
      v[key] = value;
      visitorDirty = true;
    },
    setStage: (s) => (t.stage = s),
    redact: (url) => redactUrl(url, o.redact),
    shutdown: () => {
      if (dead) return Promise.resolve();
      write();
      plugins.forEach((p) => {
        try {
          p.teardown?.();
        } catch {}
      });
      offs.splice(0).forEach((f) => f());
      clearTimeout(timer);
      channel?.close();
      dead = true;
      const s = store;
      // Close the connection, or a later deleteDatabase (a revoke elsewhere) waits on it.
      return writing.then(() => s?.close());
    },
  };

  if (browser) {
    if (gpc) state = t.consentState = 'denied';
    offs.push(
      listen(document, 'visibilitychange', onVisibility),
      listen(window, 'pagehide', onVisibility),
      listen(window, 'online', () => ((retryAt = 0), flush(true))),
    );
    if (typeof BroadcastChannel == 'function') {
      // Consent is per site, not per tab: a revoke in one tab must stop every other tab.
      channel = new BroadcastChannel('waymark:' + dbName);
      channel.onmessage = (m) => setConsent(m.data, true);
    }
    if (state == 'granted') grant();
    else if (state == 'denied') dropDatabase(dbName);
    for (const p of plugins) {
      try {
        const off = p.setup?.(t);
        if (off) offs.push(off);
      } catch (err) {
        report({ code: 'plugin', message: p.name + ' setup failed: ' + err });
      }
    }
  }
  return t;
}

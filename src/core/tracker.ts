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
import { mask } from '../lib/mask';
import { redactUrl } from '../lib/redactUrl';
import { retryDelay } from '../lib/retryDelay';
import { uuid } from '../lib/uuid';
import { withLock } from '../lib/withLock';
import { VERSION } from '../version';
import { checkOptions } from './checkOptions';
import { dropDatabase, idbStore, memoryStore, type Store } from './store';

/**
 * Browsers cap the keepalive bodies in flight at 64 KiB per page, all requests together (the
 * Fetch spec's keepalive quota): the events of a batch stay under it with room for the envelope.
 */
const MAX_BATCH = 6e4;
/**
 * A string's UTF-8 bytes: the keepalive quota is 64 KiB of body bytes, not characters. Not a
 * Blob (a few bytes shorter): this runs per queued event in a closing page, and Chromium
 * registers every Blob with its browser process.
 */
const bytes = (s: string) => new TextEncoder().encode(s).length;
const MEMORY = 'queue kept in memory for this page';
/** 4 base-36 digits: up to 1.6 million, more than a tab's sequence or an event's size reaches. */
const pad = (n: number, w = 4) => n.toString(36).padStart(w, '0');
/** A monotonic clock for waits: a wall clock set back must not park the queue. */
const mono = () => performance.now();
/** A network error (0), a redirect (0 in browsers, 3xx elsewhere), 408, 429 or 5xx: worth trying again. */
const retryable = (status: number) => status < 400 || status == 408 || status == 429 || status > 499;

/** The visitor record: anonymousId, userId, session id, last activity, session count; plugins add keys. */
interface Visitor {
  a: string;
  u?: string | null;
  s?: string;
  t?: number;
  n?: number;
  [plugin: string]: unknown;
}

type Code = WaymarkError['code'];

/**
 * Creates a tracker. Throws only for programmer mistakes (no endpoint, a bad option type);
 * at run time nothing it does throws into the page. Safe during SSR: without a `window`
 * every call is ignored.
 */
export function createTracker(options: TrackerOptions): Tracker {
  const o = checkOptions(options);
  const browser = typeof window == 'object';
  const lockName = 'waymark:' + o.storageName;
  // A plugin keeps its tracker's state (the journey, the touches, the forms started) in its
  // factory's closure: every tracker gets its own from the factory, or a tracker created again
  // with the same options object (made once, outside the component, and React StrictMode or a
  // hot reload calling createTracker() again) would take over the first one's state, and the
  // first one's late hooks (the restore() of its read) would change the second one's.
  const plugins = [...o.capture, ...(o.stages ? [o.stages] : []), ...o.plugins].map((p) => p._f?.(p) || p);
  const stages = o.stages && plugins[o.capture.length];
  // No prototype: on('constructor') is a name like any other.
  const subs: Record<string, Set<(d: any) => void>> = Object.create(null);
  const offs: (() => void)[] = [];
  /** This tab's written but undelivered events, for the page-hide beacon; and those in a request now. */
  const mine = new Map<string, string>();
  const inflight = new Set<string>();
  /** Keys handed to a page-hide request: a read that began before their delete may still return them. */
  const handed = new Set<string>();
  /** Keys whose write has not completed yet: a closing page may take them down with it. */
  const unconfirmed = new Set<string>();
  /** When this page started, or was last shown again from the back/forward cache. */
  let started = Date.now();
  /** Counts the times unhold() forced the holds open: a hold taken before is not one to release after. */
  let forced = 0;

  let state = o.consent;
  let dead = !browser;
  let store: Store | undefined;
  /** The IndexedDB store given up for memory after a failed write: its late failures land in memory too. */
  let abandoned: Store | undefined;
  /** A revoke's erasure: a grant that follows reads only once it is done, or its open would block the delete. */
  let dropping: Promise<unknown> = Promise.resolve();
  /**
   * When this tab last revoked: who the visitor is, told before then, is void. Not when it heard of
   * a revoke: a tab busy (or frozen) then hears it late, after what the revoking tab told since.
   */
  let revoked = 0;
  /**
   * When this tab last reset the visitor (a logout): who the visitor is, told by another tab before then
   * (crossing it), is void; of two resets told in one millisecond, every tab takes the greater id.
   */
  let was = 0;
  /** reset() ran before the saved visitor was read: the saved ids must not come back. */
  let fresh = 0;
  /** identify() ran before the saved visitor was read: its user wins; `pre` holds the events made before it. */
  let named = 0;
  let pre = new WeakSet<WaymarkEvent>();
  /** The ids this page made up before the saved visitor was read, and the saved user: for events made meanwhile. */
  let temp: Visitor | undefined;
  /** Where temp's events move at the read: the saved visitor, as this page continues it. */
  let to: Visitor;
  /** The ids this page made up, as the first reset() before the read (this page's or another tab's) left them: its events were the saved visitor's. */
  let left: Visitor | undefined;
  /** Who continues a saved visitor another tab's reset() made void ({ a, x, u }), told while this page did not continue it (a read under way). */
  let voided: any;
  let savedUser: string | null | undefined;
  /** Set by a grant; resolves once the saved visitor has been read. */
  let hydrated: Promise<void> | undefined;
  let ready = false;
  let holds = 0;
  let draining = false;
  /** Raw events waiting for a hold (rules loading) to be released. */
  let waiting: WaymarkEvent[] = [];
  /** Events waiting for consent, or for the saved visitor to be read. */
  let held: WaymarkEvent[] = [];
  let heldDropped = 0;
  let rows: [string, unknown][] = [];
  let writeQueued = false;
  let writing: Promise<unknown> | undefined;
  let dirty = false;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> | undefined;
  let sending: Promise<unknown> | undefined;
  /** Every loop until it ends, also one whose lock a page hide gave up (its batch still out), for shutdown() to settle. */
  let looping: Promise<unknown> | undefined;
  let again = false;
  let attempt = 0;
  let retryAt = 0;
  let abort: AbortController | undefined;
  /** Gives up the Web Lock of the flush in progress, or withdraws its request (see pagehide); a loop whose lock is given up sends nothing more. */
  let unlock: (() => void) | undefined;
  /** Withdraws, at page hide, the requests for the Web Lock to enforce the bounds while backing off (see write). */
  let hid: AbortController | undefined;
  /** When (monotonic) the page started navigating to another page of this site. */
  let leaving = -1e9;
  /** Between pagehide and pageshow: a request failing now was cancelled by the page going away. 2: the page is kept for Back. */
  let hiding: 0 | 1 | 2 = 0;
  /** The bytes of this page's keepalive requests still in flight: a second page-hide request gets what the first left. */
  let ka = 0;
  /** Rows written while backing off since the bounds were last enforced. */
  let written = 0;
  let channel: BroadcastChannel | undefined;
  /** Opens `channel` (in a browser). */
  let open: () => void;
  let closing: Promise<void> | undefined;
  let v: Visitor = { a: uuid() };

  const hear = (fn: (d: any) => void, data: unknown) => {
    try {
      fn(data);
    } catch {
      // A listener's bug is the site's; it must not stop delivery.
    }
  };
  // What is told inside createTracker() (a rules error, the landing page view, its stage) is
  // told again to a listener added before the next microtask: the site can only subscribe
  // once createTracker() has returned.
  let told: [string, unknown][] | 0 = [];
  const emit = (name: string, data: unknown) => {
    told && told.push([name, data]);
    subs[name]?.forEach((fn) => hear(fn, data));
  };

  /** `loud`: logged whatever debug says (an event the site made that cannot be stored). */
  const fail = (code: Code, message: string, extra?: object, loud?: 1) => {
    emit('error', { code, message, ...extra });
    // Transient delivery trouble is normal (offline, ad blockers): only debug mode logs it.
    if (o.debug || loud || !/network|dropped/.test(code)) console.warn(`[waymark] ${code}: ${message}`);
  };

  /** Wraps a public method: ignored after shutdown, and never throws into the page. */
  const safe =
    <A extends any[]>(fn: (...a: A) => unknown) =>
    (...a: A): any => {
      if (!dead)
        try {
          return fn(...a);
        } catch (e) {
          fail('plugin', '' + e);
        }
    };

  // The redacted URL is parsed again only when location.href changes, not for every event.
  let href: string | undefined;
  let at: PageContext;
  const page = (): PageContext => {
    if (location.href != href) {
      const url = redactUrl((href = location.href), o.redact);
      const u = new URL(url);
      at = {
        url,
        // u.hash survives redaction only as a hash-router route (#/cart).
        path: u.pathname + u.hash,
        // In an SPA the referrer of a page view is the previous in-app URL, not document.referrer.
        referrer: url == at?.url ? at.referrer : at ? at.url : redactUrl(document.referrer, o.redact),
        title: '',
        search: u.search,
      };
    }
    // The title in its place in the key order, masked: "Inbox (3) - jane@example.com".
    // A string only: <img name="title"> or <form name="title"> makes document.title that element
    // (HTML named access overrides the document's own properties), and every event would fail.
    const title = document.title;
    return { ...at, title: mask(typeof title == 'string' ? title : '') };
  };

  const make = (type: WaymarkEvent['type'], fields: Partial<WaymarkEvent>): WaymarkEvent => {
    const now = Date.now();
    if (!v.s || now - v.t! > o.sessionTimeout) (v.s = uuid()), (v.n = (v.n || 0) + 1);
    v.t = now;
    dirty = true;
    const e: WaymarkEvent = {
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
    // Made before identify() while the saved visitor is unread: it belongs to the saved user.
    if (!ready && !named) pre.add(e);
    return e;
  };

  const enqueue = (e: WaymarkEvent) => {
    waiting.push(e);
    drain();
  };

  // Plugins may track() from inside beforeSend (the stage engine does): `draining` turns that
  // re-entry into a push, so events leave in the order they were made.
  const drain = () => {
    if (draining) return;
    draining = true;
    try {
      while (!holds && waiting.length) run(waiting.shift()!);
    } finally {
      draining = false;
    }
  };

  /** Runs one of a plugin's lifecycle hooks; its failure is reported, never thrown. */
  const call = (p: Plugin, name: 'setup' | 'restore' | 'teardown' | 'reset' | 'beforeSend', arg?: any): any => {
    try {
      return p[name]?.(arg);
    } catch (err) {
      fail('plugin', p.name + ' ' + name + ': ' + err);
    }
  };
  /** Runs a hook of every plugin, in order; what they return, as one array. (Size: one loop for the four places that call every plugin.) */
  const each = (name: 'restore' | 'teardown' | 'reset', arg?: any): any[] => plugins.flatMap((p) => call(p, name, arg) || []);

  const run = (e: WaymarkEvent | null) => {
    // A hook that fails keeps the event as it was.
    const early = pre.has(e!);
    for (const p of [...plugins, { name: 'options', beforeSend: o.beforeSend }] as Plugin[]) if (e) {
      const r = call(p, 'beforeSend', e);
      // null or false (a predicate, in plain JavaScript) drops; an object replaces; anything
      // else keeps (a Promise too: an async hook cannot hold the event back).
      e = r === null || r === false ? null : r && typeof r == 'object' && typeof r.then != 'function' ? r : e;
    }
    if (!e) return;
    // A hook may return a new event: it keeps the mark of one made before identify().
    if (early) pre.add(e);
    if (o.debug) console.debug('[waymark]', state, e.type, e.event || e.name || '', e);
    emit('event', e);
    if (state == 'granted' && ready) persist(e);
    // Pending: memory only, bounded. The earliest events are kept (the landing page view
    // carries the attribution); what does not fit is counted and reported.
    else if (state != 'denied') held.length < o.maxPending ? held.push(e) : heldDropped++;
  };

  /** The event as JSON; a cyclic property (say) loses this event, not the ones behind it. */
  const text = (e: WaymarkEvent) => {
    try {
      return JSON.stringify(e);
    } catch (err) {
      fail('dropped', (e.event || e.type) + ': ' + err, { count: 1 }, 1);
    }
  };

  const persist = (e: WaymarkEvent) => {
    const json = text(e);
    if (!json) return;
    if (json.length > 32e3) return fail('dropped', (e.event || e.type) + ' is over 32 KB', { count: 1 }, 1);
    // Keys sort by time, then by this tab's sequence; the size lets the bounds be checked from
    // the keys; the messageId keeps tabs apart. Base-36 ms stay 8 characters long until 2059, and
    // are padded to 8 before mid-1972 (a device that lost its time starts at 1970), or the size
    // and time read at fixed places would be other characters.
    const key = 'e' + pad(Date.now(), 8) + pad(seq++) + pad(json.length) + e.messageId;
    rows.push([key, [json]]);
    mine.set(key, json);
    unconfirmed.add(key);
    // One transaction for everything tracked in this task.
    if (!writeQueued) (writeQueued = true), queueMicrotask(write);
  };

  const write = () => {
    writeQueued = false;
    const s = store;
    // Before the saved visitor is read, writing ours would overwrite it.
    if (!s || !ready) return;
    const out = rows.splice(0);
    if (dirty) out.push(['v', v]), (dirty = false);
    if (!out.length) return;
    const count = mine.size;
    writing = s
      // After pagehide (web vitals and the page's own listeners on the visibilitychange that
      // follows it), nothing else will commit this write before the page is torn down.
      .put(out, [], !!hiding)
      .catch((err) => storageFailed(s, err, out))
      // Not returned: flush() waits for `writing`, so returning it here would deadlock.
      .then(() => {
        out.forEach(([k]) => unconfirmed.delete(k));
        count >= o.batchSize ? flush(1) : schedule(o.flushInterval);
        // Backing off, no flush enforces the bounds: every batchSize events written, this does.
        // Not after a page hide: under the Web Lock (see pagehide); the next write or flush does.
        // One asked for before it and not granted yet (another tab holds the lock) is withdrawn then.
        if (retryAt > mono() && (written += out.length) >= o.batchSize && store == s && state == 'granted' && !hiding)
          (written = 0), withLock(lockName, s, () => bound(s), (hid ||= new AbortController()).signal).catch(() => {});
      });
  };

  /**
   * A write failed (disk full, storage blocked or broken): keep going in memory for this page,
   * and say so. The rows are not lost, and what earlier writes stored stays for the next visit.
   */
  const storageFailed = (s: Store, err: any, out: [string, unknown][]) => {
    // An aborted transaction has no error of its own.
    if (store == s) fail(err?.name == 'QuotaExceededError' ? 'quota' : 'storage', (err || 'write aborted') + '; ' + MEMORY), (abandoned = s), (store = memoryStore());
    // Two writes can fail together: the second one's rows follow the first's into memory.
    if (abandoned == s && store) return store.put(out);
  };

  /**
   * Adds to the count of lost events that the next delivered batch reports, deleting `keys` in
   * the same transaction: a page torn down between the two would lose the count, or report
   * delivered events as lost.
   */
  const drops = (s: Store, n: number, keys?: string[]) => s.update('d', (d) => Math.max(0, (d || 0) + n), keys);

  const schedule = (ms: number) => {
    if (!timer && !dead) timer = setTimeout(() => ((timer = undefined), flush(1)), ms);
  };

  /**
   * The request body. A transform that throws sends nothing: the site may use it to strip
   * what must not leave the page, so the untransformed batch is never sent instead.
   */
  const envelope = (parts: string[], dropped?: number): string | undefined => {
    const body = `{"batch":[${parts}],"sentAt":"${new Date().toISOString()}"${dropped ? ',"dropped":' + dropped : ''}}`;
    try {
      if (!o.transform) return body;
      const r: any = o.transform(JSON.parse(body) as BatchBody);
      // A string goes as it is (NDJSON, say), an object as JSON. Anything else would send
      // "{}" (a Promise, from an async transform) or nothing (undefined, from one that changed
      // the body in place), and a 2xx would settle events the collector never got.
      if (typeof r == 'string' && r) return r;
      if (!r || typeof r != 'object' || typeof r.then == 'function') throw 'must return an object or a string, synchronously';
      return JSON.stringify(r);
    } catch (err) {
      fail('config', 'transform: ' + err + '; the batch stays queued');
    }
  };

  /**
   * Enforces the queue's bounds from the keys alone (see store.ts): once per flush, so that
   * draining a long queue reads each event once instead of the whole queue per batch, and
   * while backing off, so that a long outage cannot grow the queue past them.
   */
  const bound = async (s: Store) => {
    const t = Date.now();
    const keys = await s.keys();
    const evict: string[] = [];
    for (let i = keys.length, n = 0, bytes = 0; i--; ) {
      const k = keys[i];
      bytes += parseInt(k.slice(13, 17), 36);
      if (++n > o.maxQueue || bytes > o.maxQueueBytes || parseInt(k.slice(1, 9), 36) < t - o.maxAge) evict.push(k);
    }
    if (evict[0]) {
      // Reported as dropped: the page-hide beacon must not send them after all.
      evict.forEach((k) => unconfirmed.delete(k));
      const n = evict.length;
      fail('dropped', n + ' events evicted', { count: n });
      await settled(s, evict, -n);
    }
  };

  /** Picks the oldest events that may be sent, after enforcing the bounds if `first`. */
  const take = async (s: Store, first: boolean) => {
    if (first) await bound(s);
    // None yet (undefined) is as good as 0 for envelope() and settled(). Not while a batch of this
    // page is still out (one a page hide let go on): it carries the count, or leaves it for later.
    const dropped = inflight.size ? 0 : await s.get('d');
    const keys: string[] = [];
    const parts: string[] = [];
    let size = 0;
    // Read past what this tab has in flight, which sits at the head of the queue.
    for (const [k, [json]] of await s.events(o.batchSize + inflight.size)) {
      if (inflight.has(k) || handed.has(k)) continue;
      // An event over 32 KB of UTF-8 (a long text in Japanese, under the 32,000-character cap)
      // goes alone, as if it filled the batch: Segment's HTTP API answers a batch holding one
      // with a 400, and a 4xx drops the whole batch, the events beside it too.
      // Encoded only when it could be over (UTF-8 takes at most 3 bytes a UTF-16 unit): not every
      // event of every batch.
      if (keys.length >= o.batchSize || (size += json.length > 10666 && bytes(json) > 32e3 ? MAX_BATCH : json.length + 1) > MAX_BATCH) break;
      keys.push(k);
      parts.push(json);
    }
    return keys[0] ? { keys, body: envelope(parts, dropped), dropped } : undefined;
  };

  /**
   * Settles keys (delivered, refused for good, or evicted): they leave the queue, and the tabs that
   * wrote them are told, so that their page-hide beacon does not send them again. A full disk refuses
   * the count's write, and the whole transaction with it (quota is checked at commit, for the bytes
   * written): the keys are then deleted alone, which it allows (an eviction's count is lost), with the
   * count when the batch reported it (lowered, the count stays, and every batch after reports it again).
   */
  const settled = (s: Store, keys: string[], dropped = 0) => {
    keys.forEach((k) => mine.delete(k));
    channel?.postMessage(keys);
    return drops(s, -dropped, keys).catch(() => s.put([], dropped > 0 ? [...keys, 'd'] : keys));
  };

  /** Sends batches until the queue is empty, a send fails (then backs off), or consent changes. */
  const loop = async (s: Store, renew: (() => Promise<boolean>) | undefined, me: () => void) => {
    // A revoke, the switch to the memory fallback, shutdown() or a page hide ends this loop, also while a batch is read.
    const live = () => state == 'granted' && store == s && !dead && unlock == me;
    for (let b, first = true; live() && (b = await take(s, first)); first = false) {
      const { keys } = b;
      if (!b.body) return later(retryDelay(++attempt));
      // In flight from here: a page hide while the lease is renewed must not send them too.
      keys.forEach((k) => inflight.add(k));
      // Without Web Locks: the lease is extended before each request, or lost to another tab.
      if ((renew && !(await renew())) || !live()) return keys.forEach((k) => inflight.delete(k));
      // The tabs that wrote them must not send them at their page hide while this request is
      // out. Should it fail, they stay in the queue for the next try.
      channel?.postMessage(keys);
      const ctrl = (abort = new AbortController());
      const t = setTimeout(() => ctrl.abort(), 3e4);
      let res: Response | undefined;
      try {
        res = await fetch(o.endpoint, {
          method: 'POST',
          body: b.body,
          headers: { 'Content-Type': 'application/json', ...o.headers },
          credentials: 'omit',
          // The page's own policy may send its full URL (no-referrer-when-downgrade, unsafe-url, or
          // the default to a collector on the same origin): the query secrets the events redact.
          referrerPolicy: 'strict-origin',
          signal: ctrl.signal,
          // A 301/302 would turn the POST into a GET without a body, and its 200 would settle a
          // batch the collector never got: a redirect is not followed, and not taken as delivery.
          redirect: 'manual',
        });
      } catch {}
      clearTimeout(t);
      keys.forEach((k) => inflight.delete(k));
      // Cancelled by the page going away (a link to another site clicked while a batch was
      // out): not the collector's failure. No backoff, so the page-hide request takes them.
      if (!res && hiding) return;
      const status = res?.status || 0;
      // Revoked meanwhile: the queue is gone, nothing to settle.
      if (state != 'granted') return;
      if (res?.ok) {
        attempt = retryAt = 0;
        // Settled on the store the batch came from, even if the queue has moved to memory
        // since, or shutdown() is waiting: else it would be sent again. The queue is shared:
        // the tabs that wrote these are told (see settled()).
        await settled(s, keys, b.dropped);
        emit('sent', { count: keys.length, status });
      } else if (retryable(status)) {
        if (store != s) return;
        const wait = retryDelay(++attempt, res?.headers.get('Retry-After'));
        const next = `retry ${attempt} in ${Math.round(wait / 1e3)} s`;
        res && status < 400
          ? fail('config', `${o.endpoint} redirects: set the URL it redirects to; ${next}`)
          : fail('network', `HTTP ${status || 'error'}, ${next}`, { status });
        return later(wait);
      } else {
        // The collector refused this batch as it is: sending it again cannot succeed. Its
        // dropped count was not taken either: the next batch carries it.
        await settled(s, keys);
        fail('rejected', `HTTP ${status}: ${keys.length} events dropped`, { status, count: keys.length });
      }
    }
  };

  /** Waits before the next send: the timer and size triggers hold off until then. */
  const later = (wait: number) => {
    retryAt = mono() + wait;
    clearTimeout(timer);
    timer = undefined;
    schedule(wait);
  };

  /** Timer and size flushes (`auto`) respect the backoff; an explicit flush() tries now. */
  const flush = (auto?: 1): Promise<void> => {
    // A timer may fire a little early: wait out the rest rather than drop the retry.
    if (auto && retryAt > mono()) schedule(retryAt - mono());
    // Nor after pagehide (a flush that was waiting for the one a page hide ended): a page frozen in
    // the back/forward cache would hold the Web Lock (see pagehide). Shown again, it flushes. An
    // explicit one neither, once the page is kept for Back (a site's own pagehide listener calling
    // flush()): the page-hide request took the events, and the rest wait for the page to be shown.
    if (dead || state != 'granted' || !hydrated || (auto && (hiding || retryAt > mono())) || hiding > 1) return Promise.resolve();
    if (flushing) return (again = true), flushing;
    write();
    const h = hydrated;
    return (flushing = h
      .then(() => writing)
      .then(() => {
        const s = store;
        // Nor once a page hide keeps the page (a flush started before it, waiting for its write): it
        // had no request to withdraw yet (see pagehide). Shown again, the page flushes.
        if (!s || state != 'granted' || dead || hydrated != h || hiding > 1) return;
        // `sending`, for shutdown() to settle: from the moment this tab holds the lock, the
        // loop and the lock's release; not the wait for another tab's lock.
        // The lock is held until the loop ends, or a page hide gives it up (see pagehide). A page
        // hide while it is still asked for (another tab holds it) withdraws the request: granted to
        // the page frozen in the back/forward cache, it would be held there.
        const c = new AbortController();
        unlock = () => c.abort();
        // `looping` waits for every loop, not for their values: Promise.all's would nest the last
        // value in a new array at each flush, a chain as long as the page's life.
        const p: Promise<boolean> = withLock(lockName, s, (renew) => ((sending = p), new Promise<void>((r, j) => (looping = Promise.all([looping, loop(s, renew, (unlock = r)).then(r, j)]).then(() => {})))), c.signal);
        // The lease fallback never waits for another tab: shutdown() settles it from the start.
        if (!(navigator as any).locks || s.mem) sending = p;
        return p.finally(() => (sending = undefined));
      })
      .then((ran) => ran === false && schedule(o.flushInterval))
      // Not after a revoke: it closed the connection to delete the database, and the flush's
      // next transaction throws InvalidStateError. A revoke is no storage trouble.
      // Nor a request withdrawn at page hide: the page flushes when shown again.
      .catch((err) => hydrated == h && err?.name != 'AbortError' && fail('storage', '' + err))
      .then(() => {
        flushing = undefined;
        if (again) return (again = false), flush(auto);
      }));
  };

  /** Runs what a hold kept back, for a page (or tracker) that cannot wait; each pass runs at least one event. */
  const unhold = () => {
    while (waiting.length && !draining) (holds = 0), forced++, drain();
  };

  /**
   * The store's final state at page hide, in one transaction committed now. Writes still in
   * progress are aborted, as the closing page would take them down with it (an uncommitted
   * transaction does not outlive it): their events are written again here with the visitor,
   * all but `gone` (handed to a request), which leave the queue.
   */
  const last = (gone: string[] = []) => {
    const s = store;
    // Still reading the saved visitor: nothing of this page is stored, and writing ours would overwrite it.
    if (!s || !ready) return;
    s.cancel();
    const sent = new Set(gone);
    const keep = [...unconfirmed].filter((k) => !sent.has(k) && mine.has(k)).map((k): [string, unknown] => [k, [mine.get(k)]]);
    rows = [];
    gone.forEach((k) => mine.delete(k));
    s.put([...keep, ['v', v]], gone, true).catch(() => {});
    // Sent events written to IndexedDB before the switch to memory leave it too, or the next visit sends them again.
    if (gone[0]) abandoned?.put([], gone, true).catch(() => {});
  };

  /**
   * Page hide. Unload sending is best effort; what matters is that nothing handed to it is
   * sent twice and nothing else is lost. So: run what a hold kept back, write what is
   * buffered, then hand this tab's undelivered events (newest first, up to the keepalive cap)
   * to one keepalive request and count them as sent: they leave the queue in one plain
   * delete (a closing page cannot wait for the answer, and a read-then-write may not land).
   * If the page lives to see a failure, they go back. Offline or backing off: no beacon,
   * the queue keeps them for the next visit. Leaving for another page of this site: that
   * page sends the queue at once, so only the events whose write may not land go now.
   */
  const beacon = (max: number) => {
    unhold();
    const s = store;
    // No beacon (offline, or the collector failing), but the writes in progress must still land.
    // (A regular request cancelled by the unload itself is no failure: see `hiding`.)
    if (!s || state != 'granted' || navigator.onLine === false || retryAt > mono()) return last();
    const near = mono() - leaving < 1e4;
    // Closing a tab fires visibilitychange, then pagehide: each sends, and the first may still
    // be out when the second asks for what it left of the quota (see onVisibility).
    const cap = max - ka;
    const keys: string[] = [];
    const parts: string[] = [];
    let size = 0;
    // Events of a page still reading its saved visitor are not written yet: they go as they are.
    const early: WaymarkEvent[] = [];
    const first: string[] = [];
    for (const e of held) {
      const json = text(e);
      const n = json ? bytes(json) + 1 : 0;
      if (n && size + n <= cap) (size += n), early.push(e), first.push(json!);
    }
    for (const [k, json] of [...mine].reverse()) {
      if (inflight.has(k) || (near && !unconfirmed.has(k))) continue;
      // One that does not fit (a long text in Japanese is up to 3 bytes a character) stays
      // queued for the next visit; older, smaller ones may still fit.
      const n = bytes(json) + 1;
      // Nor one over 32 KB (see take()): its own batch takes it next visit.
      if (size + n > cap || n > 32e3) continue;
      size += n;
      keys.unshift(k);
      parts.unshift(json);
    }
    const body = (keys[0] || early[0]) && envelope([...first, ...parts]);
    // Over the quota (a transform that adds much), the browser would refuse it in a task a
    // closing page never runs: the events stay queued for the next visit instead.
    const n = body ? bytes(body) : 1e9;
    if (ka + n > 65536) return last();
    const count = keys.length + early.length;
    // A page that lives to see a failure (a tab switch) takes the events back.
    const back = () => {
      keys.forEach((k) => handed.delete(k));
      if (store != s) return;
      // After shutdown() nothing is written: the site may have revoked consent since, in this
      // tab or another, and reopening the database would bring back what a revoke erased.
      if (dead) return fail('dropped', count + ' events: page-hide request failed after shutdown()', { count });
      // Given back after the saved visitor was read, they move onto it first.
      ready ? early.forEach((e) => (adopt(e), persist(e))) : held.unshift(...early);
      keys.forEach((k, i) => (mine.set(k, parts[i]), unconfirmed.add(k)));
      s.put(keys.map((k, i) => [k, [parts[i]]])).catch(() => {});
    };
    try {
      // Firefox before 133 ignores keepalive: the request would die with the closing page, and
      // its events with it. sendBeacon outlives the page there.
      if (!('keepalive' in Request.prototype)) throw 0;
      // A string body is sent as text/plain: CORS-simple, so no preflight that could be lost on unload.
      fetch(o.endpoint, { method: 'POST', body, keepalive: true, credentials: 'omit', redirect: 'manual', referrerPolicy: 'strict-origin' })
        .finally(() => (ka -= n))
        .then(
          // A redirect (status 0 in browsers, 3xx elsewhere) delivered nothing either.
          (r) => r.ok || (retryable(r.status) ? back() : fail('rejected', `HTTP ${r.status}: ${count} events dropped`, { status: r.status, count })),
          back,
        );
      ka += n;
    } catch {
      if (!navigator.sendBeacon?.(o.endpoint, body)) return last();
    }
    // Handed off. The early events leave `held`, so the end of the read does not write them too;
    // a flush reading the queue right now skips the keys.
    held = held.filter((e) => !early.includes(e));
    keys.forEach((k) => handed.add(k));
    last(keys);
  };

  // No latch: beacon() only sends what is not yet handed off, and events made during the hide
  // (Form Abandoned; CLS and INP on the visibilitychange after pagehide) need a second one.
  // Guarded: this runs in the page's event dispatch, where a throw would be the page's error.
  const onVisibility = (e: Event) => {
    try {
      // A visibilitychange takes half the quota: the pagehide that may follow (a tab closing)
      // carries what the page tracks as it goes (Form Abandoned), and what stays is queued.
      if (e.type == 'pagehide' || document.visibilityState == 'hidden') beacon(e.type[0] == 'v' ? MAX_BATCH / 2 : MAX_BATCH);
    } catch (err) {
      fail('plugin', 'page hide: ' + err);
    }
  };

  // ---- consent ----

  /**
   * Moves an event made before the saved visitor was read onto it: its anonymous id and
   * session, and the saved user unless an identify() on this page came first.
   */
  const adopt = (e: WaymarkEvent) => {
    // Only temp's: those made after a reset() on this page are the next visitor's.
    if (e.anonymousId != temp?.a) return;
    e.anonymousId = to.a;
    // (Null before: no identify() yet. Or, on a page shown again from the back/forward cache,
    // the user it knew, whom another page may have logged out.)
    if (!named || pre.has(e)) e.userId = savedUser ?? null;
    if (e.context.session.id == temp.s) e.context.session = { id: to.s!, number: to.n! };
  };

  /** `again`: the page is shown again from the back/forward cache, and reads the saved visitor again on this store. */
  const grant = (again?: Store) => {
    const s = again || (store = idbStore(o.storageName));
    // Events wait, in order, until the saved visitor is read and the plugins restored, so that
    // stage rules judge this page's first events against the saved stage. A storage that
    // never answers (Safari 14.1's open, a blocked open) must not stop the page's tracking
    // for good: after 5 s it counts as failed, and the page goes on in memory.
    const release = t.hold();
    let rt: any;
    // Read, or claimed for this page's visitor when none is saved, in one transaction: a tracker
    // created at once after another one was shut down (React StrictMode, a hot reload), or a
    // second tab opened with the first on a first visit, reads the visitor the first made up.
    let was: any;
    // Not once revoked meanwhile (a revoke again before the erasure was done): that would store a visitor while denied.
    const read = dropping.then((): unknown => store == s && s.update('v', (x) => (was = x) || { ...v })).then(() => was);
    // A read that answers after the timeout (a blocked open that went through) leaves an open
    // connection behind: closed, or a later revoke's deleteDatabase would wait on it for good.
    read.finally(() => store != s && s.close()).catch(() => {});
    const h: Promise<void> = (hydrated = Promise.race([read, new Promise((_, no) => (rt = setTimeout(no, 5e3, 'no answer in 5 s')))])
      .catch((err) => {
        // Private modes and blocked storage: keep working, for this page only, and say so.
        if (store == s) fail('storage', err + '; ' + MEMORY), (store = memoryStore());
      })
      .then((saved?: Visitor) => {
        // Revoked (or revoked and granted again) while reading: this grant is void.
        if (hydrated != h) return;
        // A reset() on this page (a logout) already replaced the saved visitor: it stays gone,
        // but the events made before the reset (the landing page view) were still its own.
        // This page's ids are taken now, not at the grant: the page view made since then
        // started the session. Unless the saved visitor is the one another tab's reset() made:
        // the visitor who left is gone, and must not be linked to the next one.
        if (saved && (temp = fresh ? (saved.a != v.a && left) || undefined : { ...v })) {
          // Another page logged out meanwhile: the plugins forget the visitor who left.
          if (again && !fresh && saved.a != v.a) (t.stage = null), each('reset');
          // "" (saved by a release before identify("") forgot the user) identifies no one.
          savedUser = saved.u || null;
          // A returning visitor keeps their ids, and their session if it is still open; an
          // identify() on this page, identify(null) included, wins over the saved user.
          // Shown again after another page's logout: this page's session was the visitor who left,
          // and must not link them to the next one, who gets a session of their own.
          const same = started - saved.t! < o.sessionTimeout;
          to = { ...saved, ...temp, a: saved.a, u: named ? temp.u : savedUser, s: same ? saved.s : again && saved.a != temp.a ? uuid() : temp.s, n: same ? saved.n : (saved.n || 0) + 1 };
          fresh || (v = to);
          [...waiting, ...held].forEach(adopt);
        }
        // Not through safe(): after a shutdown too, the stage must be merged before it is written.
        // Called without a saved visitor too ({}): the plugins learn the read is over.
        // A plugin may return held events that the saved state made void (the stage engine's
        // entries guessed before it was known): they are not stored.
        // After a reset() on this page, the forgotten visitor (`_`) only gives the events made for it
        // before the reset its journey and touches (the stage entries guessed for it are voided);
        // none if they stay where they are (another tab saved the next visitor first). `l`: the ids they
        // had, which a plugin's own reference keeps when a beforeSend returned a copy.
        const gone = each('restore', saved && !fresh ? saved : { _: temp && saved, l: temp?.a }).map((e: WaymarkEvent) => e?.messageId);
        dirty = ready = true;
        // A reset() this page knows of, made while the saved visitor was another (a logout made
        // while pending writes nothing): a tab that read that visitor since (opened after the
        // logout) continues the next one instead, as the user this page knows logged in since (a login
        // there, before its grant, reached this page first): that tab may have forgotten it meanwhile.
        if (saved && fresh && saved.a != v.a) tell({ a: v.a, x: saved.a, u: v.u });
        // Told so while this page read (see heard): it continues that visitor only now.
        voided?.x == v.a && resetVisitor(0, voided.a, voided.u);
        fresh = 0;
        const n = heldDropped;
        if (n) drops(store!, n).catch(() => {}), fail('dropped', n + ' events beyond maxPending before consent', { count: n });
        heldDropped = 0;
        // By messageId: a beforeSend may have returned a copy.
        held.splice(0).forEach((e) => gone.includes(e.messageId) || persist(e));
        write();
      })
      .finally(() => (clearTimeout(rt), release())));
    // Send what earlier visits left behind.
    h.then(() => flush(1));
  };

  const setConsent = (next: ConsentState, fromOtherTab?: boolean) => {
    if (next == state) return;
    // Events waiting behind a hold (rules loading) that were made before a revoke, or while
    // denied, are never to be stored or sent.
    if (next == 'denied' || state == 'denied') waiting = [];
    if (next == 'granted') {
      if (gpc) return fail('consent', 'GPC/DNT is on, so consent stays denied (set respectGpc: false to allow)');
      grant();
    } else if (next == 'denied') {
      // Forget everything, in memory and on disk: the queue, the ids and the stage, earlier visits' too.
      const s = store;
      fromOtherTab || (revoked = Date.now());
      store = hydrated = undefined;
      held = rows = [];
      heldDropped = 0;
      named = 0;
      pre = new WeakSet();
      temp = undefined;
      mine.clear();
      unconfirmed.clear();
      ready = false;
      abort?.abort();
      clearTimeout(timer);
      timer = undefined;
      // A new visitor, as at a reset(): not even the session count links them to the one forgotten.
      resetVisitor(1);
      // The IndexedDB queue given up for memory after a failed write is on disk too. The tab that
      // revokes deletes the database whatever it holds (an earlier visit's), before it tells the
      // others, whose connections hold that delete back until they hear of it and close them. They
      // ask for no delete of their own: asked only then, it could queue behind the connection a tab
      // that heard first opened for a new grant, and wait on it for good (every later open with it).
      dropping = Promise.all([s?.drop(), abandoned?.drop(), fromOtherTab || dropDatabase(o.storageName)]);
      abandoned = undefined;
    } else return fail('consent', `consent("${next}"): use "granted" or "denied"`);
    t.consentState = state = next;
    if (!fromOtherTab) channel?.postMessage(state);
    emit('consent', state);
  };

  /**
   * Who the visitor is, to the other tabs, with the time it was told, which a tab that revoked since
   * ignores, and the consent it was told under (see `heard`). From a tab without consent too: a
   * logout there must reach a tab still open from before it (pending, or denied as it is), or that
   * tab names the visitor of the next grant with the user who left, and writes that user back.
   */
  const tell = (m: object) => channel?.postMessage({ t: Date.now(), ...m, c: state });

  /** `a`: the new anonymous id another tab chose at its reset(); `u`: the user it has logged in since (see grant). */
  const resetVisitor = (revoke?: 0 | 1, a = uuid(), u?: string | null) => {
    // The events made before, still waiting behind a hold (the saved visitor being read, a rules
    // file loading), are the visitor who leaves: the plugins see them now, before they forget
    // that visitor (the landing's campaign, the journey, whose stage entries carry these ids).
    const h = holds;
    holds = 0;
    drain();
    holds = h;
    // The first reset before the read, here or in another tab, leaves the ids this page made up.
    fresh || (left = v);
    // A new visitor, with no sessions yet: the next event starts session 1 (no returning visitor).
    // (n: 0 rather than no n: brotli packs it smaller.)
    v = { a, n: 0, u };
    dirty = true;
    // After a revoke, or while denied since, there is nothing saved to ignore (a visitor another tab
    // saves since is this one).
    fresh = revoke || state == 'denied' ? 0 : 1;
    t.stage = null;
    each('reset');
    // Written now, also when another tab told it: a tab opened before this one's next event reads it.
    write();
  };

  // ---- the public surface ----

  const gpc = browser && o.respectGpc && ((navigator as any).globalPrivacyControl === true || navigator.doNotTrack == '1');

  const t: PluginContext & { stage: string | null; consentState: ConsentState } = {
    stage: null,
    consentState: state,
    options: o,
    track: safe((event: string, properties?: Properties, element?: Element) => {
      if (!event || typeof event != 'string') return fail('config', 'track() needs an event name');
      const e = make('track', { event, properties: { ...properties } });
      // Not enumerable, so never serialised: stage rules match CSS selectors on it.
      if (element) Object.defineProperty(e, 'element', { value: element });
      enqueue(e);
    }),
    page: safe((name?: string, properties?: Properties) => {
      const e = make('page', name ? { name } : {});
      const c: any = e.context.page;
      e.properties = { ...c, ...properties };
      // As Segment's analytics.js: the page fields given (a virtual page's path) are the page,
      // in context too, where stage rules and collectors look for it.
      for (const k in c) c[k] = e.properties![k];
      enqueue(e);
    }),
    identify: safe((userId: string | null | Properties, traits?: Properties) => {
      // Segment's identify(traits): traits for the current user, who stays (not "[object Object]").
      if (userId && typeof userId == 'object') traits = userId;
      // From here on, events made before the saved visitor is read are this user's (see make()).
      // "" identifies no one (a site's `user.id ?? ''`): null, not a userId collectors refuse.
      else (v.u = '' + (userId ?? '') || null), (named = 1), tell({ u: v.u });
      enqueue(make('identify', { traits: { ...traits } }));
    }),
    reset: safe(() => (resetVisitor(), tell({ a: v.a, t: (was = Date.now()) }))),
    // A revoke counts after shutdown() too: the consent banner's reference outlives an SPA's
    // tracker, and what it stored is still on disk. It is erased, a batch still settling is
    // aborted, and the other tabs are told on a channel opened for it.
    consent: (c) => (dead && browser && c == 'denied' ? (channel?.close(), open(), setConsent(c), channel?.close()) : safe(setConsent)(c)),
    feedback: safe((f: Feedback) => {
      if (typeof f?.score != 'number' || !/^(csat|nps|ces)$/.test(f.scale)) {
        return fail('config', 'feedback() needs { score: number, scale: "csat" | "nps" | "ces" }');
      }
      t.track('Feedback Submitted', { ...f, comment: f.comment ? mask('' + f.comment).slice(0, 1e3) : undefined, stage: t.stage });
    }),
    flush: () => flush(),
    on: (name, fn) => {
      // Told again first, then subscribed: what the listener causes meanwhile (a track() in it)
      // is pushed to `told`, which for…of still reaches, so it comes after what was told before it.
      for (const [n, d] of told || []) n == name && hear(fn, d);
      (subs[name] ||= new Set()).add(fn);
      return () => void subs[name].delete(fn);
    },
    emit,
    report: (e) => fail(e.code, e.message, e),
    hold: () => {
      let on = ++holds;
      const f = forced;
      // A page hide may have forced the holds open already (see beacon): then this one is gone,
      // and releasing it must not release a hold taken since. Not forced: `holds` counts this one still.
      return () => on && ((on = 0), f == forced && holds--, drain());
    },
    save: (key, value) => ((v[key] = value), (dirty = true)),
    setStage: (s) => (t.stage = s),
    redact: (url) => redactUrl(url, o.redact),
    // One run, whoever calls: a second caller (a logout handler that awaits it before leaving,
    // as the component's cleanup also shuts down) waits for what the first writes.
    shutdown: () =>
      (closing ||= (async () => {
        if (dead) return;
        // A rules file still loading: what waits for it is written without stages, not lost.
        // Before `dead`, so that what the plugins track meanwhile (Journey Stage Entered) counts.
        unhold();
        // From here on public calls are ignored and nothing is sent; what is held is still written.
        dead = true;
        each('teardown');
        // A plugin's teardown that throws must not keep the tracker's own listeners in place.
        offs.splice(0).forEach((f) => {
          try {
            f();
          } catch (err) {
            fail('plugin', 'teardown: ' + err);
          }
        });
        clearTimeout(timer);
        // A shutdown right after a grant: the events held while the saved visitor is read are written too.
        await hydrated;
        write();
        await writing;
        // A batch in flight is settled first (the loop stops after it), or it would be sent again
        // next visit. Not a flush still waiting for another tab's lock: it ends when granted.
        await sending?.catch(() => {});
        await looping;
        channel?.close();
        // Close the connection, or a later deleteDatabase (a revoke elsewhere) would wait on it.
        await store?.close();
      })()),
  };

  if (browser) {
    if (gpc) state = t.consentState = 'denied';
    offs.push(listen(window, 'online', () => ((retryAt = 0), flush(1))));
    // Consent belongs to the site, not the tab: a revoke in one tab must stop every other tab.
    // A consent change, the keys another tab delivered, or who the visitor is: a logout
    // (reset) or a login (identify) in one tab is every tab's, or the next write of a tab
    // still open would bring the old user back.
    // Who the visitor is, from a tab that told it before the revoke reached it, arrives here
    // after the revoke: it must not name or link the visitor a new grant starts (a denied tab takes
    // only what a tab told while denied, after the revoke it heard; and only a denied tab takes that,
    // or a tab denied on its own, by GPC, would name the visitor of a granted one). Nor when this tab
    // has granted again already (a preference centre toggled off and on in one go): it was told
    // before this tab revoked (the same millisecond counts as before), unless the clock has been set
    // back since the revoke: what is told then has an earlier time. A revoke heard from another
    // tab reaches this one in order with what that tab tells after it, which counts. Nor what another
    // tab told before this one's last reset() and it hears after (a login at a page start crossing a
    // logout here), under the same proviso about the clock; two tabs resetting at once (a site whose
    // tabs share its auth state logs out in each) end with one visitor, the later one's.
    const heard = safe(({ data: d }: MessageEvent) =>
      typeof d == 'string'
        ? setConsent(d as ConsentState, true)
        : Array.isArray(d)
          ? d.forEach((k) => mine.delete(k))
          : (state == 'denied') != (d?.c == 'denied') || (d?.t <= revoked && revoked <= Date.now()) || (d?.t + (d?.a > v.a ? 0.5 : 0) <= was && was <= Date.now())
            ? 0
            : typeof d?.a == 'string'
              ? (d.x ?? v.a) == v.a
                ? resetVisitor(0, d.a, d.u)
                : (voided = d)
              : (typeof d?.u == 'string' || d?.u === null) && ((v.u = d.u || null), (named = 1), (dirty = true)),
    );
    open = () => {
      // After shutdown() a revoke still counts: it aborts the batch that shutdown() waits for,
      // and erases what it would write.
      if (typeof BroadcastChannel == 'function')
        (channel = new BroadcastChannel(lockName)).onmessage = (m) => (dead && m.data == 'denied' ? setConsent('denied', true) : heard(m));
    };
    open();
    if (state == 'granted') grant();
    if (state == 'denied') dropping = dropDatabase(o.storageName);
    // Started denied by the site (the visitor said no where Waymark does not run): a tab still
    // granted from before stops too, and closes the database this erases (its connection would
    // block the delete). Not under GPC alone: a site may let an explicit opt-in win elsewhere.
    if (o.consent == 'denied') channel?.postMessage(state);
    // Before any page's or module's own pagehide listener: see `hiding`.
    // The back/forward cache evicts a page that a BroadcastChannel message reaches (and every
    // delivery posts one): the channel of a page with consent or denied closes while the page
    // is kept (a pending one's stays open: see pagehide), and opens again when it is shown. What the other pages did meanwhile is then read back from the saved visitor,
    // and the plugins restore from it again (the journey takes the saved one). A revoke
    // meanwhile deleted the database, which evicts a page holding a connection to it.
    offs.push(
      listen(window, 'pagehide', (e) => {
        hiding = (e as PageTransitionEvent).persisted ? 2 : 1;
        // A page frozen in the back/forward cache never ends the flush it was in (a batch still
        // out), so its Web Lock would stay held, and the next page's flush would evict it from
        // the cache (weblocks-contention). Given up now: the request goes on, and whatever it
        // answers is settled when the page is shown again; the loop sends nothing more.
        unlock?.(), (unlock = undefined), hid?.abort(), (hid = undefined);
        // A page with consent that holds the database stops listening: a revoke deletes it, which
        // evicts the kept page. A denied one has nothing to lose (and every denied page that
        // starts says so). A pending one (its held events must not outlive a deny elsewhere), or
        // one on the memory fallback, keeps listening, and a consent change evicts it so.
        if ((e as PageTransitionEvent).persisted && state != 'pending' && !store?.mem) channel?.close(), (channel = undefined);
      }),
      listen(window, 'pageshow', (e) => {
        hiding = 0;
        if (!(e as PageTransitionEvent).persisted || channel || dead) return;
        open();
        if (!ready) return;
        // Shown again from the back/forward cache: the saved visitor is read again, as at a
        // grant and on the same store, for what the other pages did meanwhile (a logout, the
        // journey). What this page does until then (the page view of the return, a reset(), an
        // identify()) is handled as before a grant's read, and the page writes no visitor of
        // its own until then.
        ready = false;
        named = fresh = 0;
        pre = new WeakSet();
        started = Date.now();
        grant(store);
      }),
    );
    // The stage engine sets up first: while its rules load it holds the pipeline, and the
    // landing page view that pageViews() tracks in its setup must wait for them.
    for (const p of stages ? [stages, ...plugins.filter((x) => x != stages)] : plugins) {
      const off = call(p, 'setup', t);
      // Only a teardown function is kept: an async setup returns a Promise.
      if (typeof off == 'function') offs.push(off);
    }
    // After the modules' setup, so that their page-hide handlers run first and what they
    // track (Form Abandoned) rides in the beacon.
    // `freeze`: a hidden tab about to be frozen or discarded (Chromium) gets a last beacon too.
    offs.push(listen(document, 'visibilitychange', onVisibility), listen(window, 'pagehide', onVisibility), listen(document, 'freeze', onVisibility));
    // The Navigation API (Baseline 2026) says where a link or form is taking the page.
    const navigation = (window as any).navigation;
    if (navigation)
      offs.push(
        listen(navigation, 'navigate', (e: any) => {
          const to = e.destination;
          if (!to.sameDocument && new URL(to.url).origin == location.origin) leaving = mono();
        }),
      );
  }
  queueMicrotask(() => (told = 0));
  return t;
}

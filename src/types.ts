/** Consent as the site reports it. `pending` holds events in memory only. */
export type ConsentState = 'pending' | 'granted' | 'denied';

export type Properties = Record<string, unknown>;

/** `context.page`, snapshotted when the event happens. Query values on the deny-list are redacted. */
export interface PageContext {
  url: string;
  path: string;
  referrer: string;
  title: string;
  search: string;
}

/** `context.campaign`, filled by the `attribution()` module: the last touch, and the first in `first`. */
export interface Campaign {
  channel?: string;
  source?: string;
  medium?: string;
  name?: string;
  term?: string;
  content?: string;
  /** Host of the landing's external referrer. */
  referrer?: string;
  /** The visitor's first touch. */
  first?: Campaign;
  /** Click ids under their own names: gclid, fbclid, msclkid, ttclid, li_fat_id, twclid, dclid, wbraid, gbraid. */
  [key: string]: unknown;
}

/** `context.journey`, filled by the `journey()` stage engine. */
export interface JourneyContext {
  stage: string | null;
  previousStage: string | null;
  enteredAt: string | null;
}

export interface EventContext {
  library: { name: 'waymark'; version: string };
  page: PageContext;
  userAgent: string;
  locale: string;
  /** `number` counts this visitor's sessions, 1-based. A session ends after 30 minutes idle. */
  session: { id: string; number: number };
  campaign?: Campaign;
  journey?: JourneyContext;
  [key: string]: unknown;
}

/** One event as collectors receive it: the Segment spec's `track`, `page` or `identify`. */
export interface WaymarkEvent {
  type: 'track' | 'page' | 'identify';
  /** Set on `track` events. */
  event?: string;
  /** Set on `page` events when a name was given. */
  name?: string;
  properties?: Properties;
  traits?: Properties;
  messageId: string;
  anonymousId: string;
  userId: string | null;
  /** ISO time the event happened, not when it was sent. */
  timestamp: string;
  context: EventContext;
  /**
   * The DOM element a capture module saw (clicked element, form). Not enumerable, so it is
   * never serialised or sent; stage rules use it to match CSS selectors.
   */
  readonly element?: Element;
}

/** The request body: a Segment HTTP API batch. */
export interface BatchBody {
  batch: WaymarkEvent[];
  sentAt: string;
  /** Events this browser evicted (queue bounds, pre-consent buffer) since the last delivered batch. */
  dropped?: number;
}

export interface WaymarkError {
  /**
   * `config` bad option, `storage` IndexedDB failed or is unavailable (memory fallback),
   * `quota` storage full, `network` delivery failed and will be retried, `rejected` the
   * collector answered 4xx and the batch was dropped, `dropped` events were evicted,
   * `consent` a consent call was refused, `rules` the stage rules are invalid or did not load,
   * `plugin` a capture module failed.
   */
  code: 'config' | 'storage' | 'quota' | 'network' | 'rejected' | 'dropped' | 'consent' | 'rules' | 'plugin';
  message: string;
  [key: string]: unknown;
}

export interface StageChange {
  stage: string;
  previousStage: string | null;
  /** When the stage was entered: the timestamp of the event that entered it. */
  enteredAt: string | null;
  /** Index of the matching rule in the rules file. */
  rule: number;
  event: WaymarkEvent;
  /** The feedback scale, when the rules file asks for feedback in this stage. */
  ask?: FeedbackScale;
}

export interface TrackerEvents {
  error: WaymarkError;
  stage: StageChange;
  /** Every event accepted by the pipeline, before consent gating. */
  event: WaymarkEvent;
  /** A batch the collector accepted. */
  sent: { count: number; status: number };
  consent: ConsentState;
}

export type FeedbackScale = 'csat' | 'nps' | 'ces';

export interface Feedback {
  score: number;
  scale: FeedbackScale;
  comment?: string;
  [key: string]: unknown;
}

/** The tracker returned by `createTracker`. Every method is safe to call in any state. */
export interface Tracker {
  track(event: string, properties?: Properties): void;
  page(name?: string, properties?: Properties): void;
  /** Names the user (`null` forgets the name), with traits. */
  identify(userId: string | null, traits?: Properties): void;
  /** Segment's shape: traits for the current user, whose id stays. */
  identify(traits: Properties): void;
  /** Forget the user: new anonymous id, no user id, new session, no stage. */
  reset(): void;
  consent(state: ConsentState): void;
  /** Deliver everything queued. Resolves when done or deferred by a failure; never rejects. */
  flush(): Promise<void>;
  feedback(feedback: Feedback): void;
  on<K extends keyof TrackerEvents>(name: K, fn: (data: TrackerEvents[K]) => void): () => void;
  /** Removes every listener, observer and history patch, and writes what is buffered. */
  shutdown(): Promise<void>;
  /** The visitor's current journey stage, or null. Set by the `journey()` engine. */
  readonly stage: string | null;
  /** The current consent state (GPC/DNT already applied). */
  readonly consentState: ConsentState;
}

/**
 * What a plugin sees: the tracker plus the hooks plugins need.
 * Plugins must not keep module-level state; everything lives in their factory's closure.
 */
export interface PluginContext extends Tracker {
  /** `track` with the DOM element the event is about, so stage rules can match selectors on it. */
  track(event: string, properties?: Properties, element?: Element): void;
  /** Emit to `on()` listeners. */
  emit<K extends keyof TrackerEvents>(name: K, data: TrackerEvents[K]): void;
  /** Report a non-fatal error through `on('error')` (and the console in debug mode). */
  report(error: WaymarkError): void;
  /** Pause the pipeline (events wait, in order) until the returned release is called. */
  hold(): () => void;
  /** Keep a small value with the visitor; persisted with the queue, only after consent. */
  save(key: string, value: unknown): void;
  /** Set the visible `tracker.stage`. */
  setStage(stage: string | null): void;
  /** Redact a URL by the query deny-list. */
  redact(url: string): string;
  readonly options: Readonly<TrackerOptions>;
}

/**
 * A capture module or engine: a plain object of optional hooks, built by a factory.
 * `setup` may return its teardown.
 */
export interface Plugin {
  name: string;
  /**
   * Internal: a new plugin from the same factory call, for `p` if it is this very object (not a
   * copy with the site's own hooks). A plugin keeps its tracker's state in its factory's
   * closure, so each tracker sets up its own (see createTracker).
   */
  _f?(p: Plugin): Plugin | false;
  setup?(ctx: PluginContext): void | (() => void);
  teardown?(): void;
  /** Enrich the event in place or return a new one; return null (or false) to drop it. */
  beforeSend?(event: WaymarkEvent): WaymarkEvent | null | boolean | void;
  /**
   * Called once after consent with what was persisted for this visitor on earlier visits; may
   * return events held before consent that this made void, so that they are not stored.
   * After a reset() made before that read, the visitor is a new one: `saved` then holds none
   * of your keys, and its `_` is the record of the visitor who left (for the events made before
   * the reset), which must never be saved for the new one.
   */
  restore?(saved: Record<string, unknown>): void | WaymarkEvent[];
  /** Called on `reset()` and on a consent revoke: forget the visitor. */
  reset?(): void;
}

export interface TrackerOptions {
  /** Collector URL that receives POSTed batches. Required. */
  endpoint: string;
  /** Initial consent. Default `pending`. */
  consent?: ConsentState;
  /** Treat Global Privacy Control and Do Not Track as `denied`. Default true. */
  respectGpc?: boolean;
  /** Capture modules, e.g. `[pageViews(), clicks()]`. */
  capture?: Plugin[];
  /** The stage engine: `journey(rules)`. */
  stages?: Plugin;
  /** Extra plugins, run after capture and stages. */
  plugins?: Plugin[];
  /** Change or drop (return null or false) each event. Runs last. */
  beforeSend?: (event: WaymarkEvent) => WaymarkEvent | null | boolean | undefined | void;
  /** Reshape the request body for a non-Segment collector: return an object (sent as JSON) or a string (sent as it is), synchronously. */
  transform?: (body: BatchBody) => object | string;
  /** Extra request headers for regular flushes (not sent with page-hide beacons, which must stay CORS-simple). */
  headers?: Record<string, string>;
  /** Send when this many events are queued; also the most events per request. Default 20. */
  batchSize?: number;
  /** Send queued events at most this long after they were tracked, in ms. Default 3000. */
  flushInterval?: number;
  /** Queue bounds: events, bytes, age in ms. Defaults 1000, 1 MB, 7 days. */
  maxQueue?: number;
  maxQueueBytes?: number;
  maxAge?: number;
  /** Events held in memory while consent is pending. Default 200. */
  maxPending?: number;
  /** Session idle timeout in ms. Default 30 minutes. */
  sessionTimeout?: number;
  /** Extra query parameter names to redact from URLs. */
  redact?: string[];
  /** IndexedDB database name. Default `waymark`. */
  storageName?: string;
  /** Log what happens to the console. */
  debug?: boolean;
}

import type { ConsentState, Plugin, TrackerOptions } from '../types';

export type Resolved = Required<Omit<TrackerOptions, 'stages' | 'beforeSend' | 'transform'>> &
  Pick<TrackerOptions, 'stages' | 'beforeSend' | 'transform'> & { consent: ConsentState };

const isPlugin = (p: any): p is Plugin => typeof p?.name == 'string';

/**
 * Checks the mistakes that would silently lose data, at setup where they are the developer's
 * and should fail loudly, and returns a copy with the defaults. The caller's object is never changed.
 */
export function checkOptions(options: TrackerOptions): Resolved {
  const defaults: Record<string, unknown> = {
    consent: 'pending',
    respectGpc: true,
    capture: [],
    plugins: [],
    batchSize: 20,
    flushInterval: 3e3,
    maxQueue: 1e3,
    maxQueueBytes: 1e6,
    maxAge: 6048e5,
    maxPending: 200,
    sessionTimeout: 18e5,
    storageName: 'waymark',
  };
  const o = { ...defaults } as unknown as Resolved;
  // An option given as undefined (an unset config value) keeps its default: `respectGpc:
  // undefined` must not turn Global Privacy Control off.
  for (const k in options) if ((options as any)[k] !== undefined) (o as any)[k] = (options as any)[k];
  const bad = (key: string, expected: string): never => {
    throw new TypeError(`waymark: option "${key}" must be ${expected}`);
  };
  if (!o.endpoint || typeof o.endpoint != 'string') bad('endpoint', 'the collector URL, e.g. "/v1/batch"');
  if (!/^(pending|granted|denied)$/.test(o.consent)) bad('consent', '"pending", "granted" or "denied"');
  // `capture: pageViews()`, brackets forgotten, is one plugin, not a list: say so, rather than "not iterable".
  for (const k of ['capture', 'plugins'] as const) if (!(Array.isArray(o[k]) && o[k].every(isPlugin))) bad(k, 'an array of plugins, e.g. [pageViews()]');
  // A data- attribute brings a string: it would fail at every event or batch instead.
  for (const k of ['beforeSend', 'transform'] as const) if (o[k] && typeof o[k] != 'function') bad(k, 'a function');
  if (o.stages && !isPlugin(o.stages)) bad('stages', 'the stage engine: stages: journey(rules), with journey imported from "waymark"');
  // What fetch() would refuse at every send (a value outside ISO-8859-1, a name with a space),
  // retried forever as a network error, is a setup error instead.
  try {
    if (o.headers && (typeof o.headers != 'object' || !new Headers(o.headers as any))) throw 0;
  } catch {
    bad('headers', 'an object of valid HTTP headers, e.g. { Authorization: "Bearer …" }');
  }
  try {
    if (!/^https?:$/.test(new URL(o.endpoint, 'http://x').protocol)) throw 0;
  } catch {
    bad('endpoint', 'an http(s) URL');
  }
  // Every option whose default is a number. Numbers from data- attributes arrive as numbers
  // only when they are whole: "30m" is a mistake. batchSize and sessionTimeout start at 1.
  for (const k in defaults) {
    const x = (o as any)[k];
    const min = +/^(b|se)/.test(k);
    if (typeof defaults[k] == 'number' && !(typeof x == 'number' && x >= min && x < 1 / 0)) bad(k, 'a finite number from ' + min);
  }
  o.batchSize = Math.floor(o.batchSize);
  // setTimeout takes a 32-bit delay: a longer one fires at once, and would send at every event.
  o.flushInterval = Math.min(o.flushInterval, 2 ** 31 - 1);
  // A single name is accepted as a list of one.
  o.redact = ([] as string[]).concat(o.redact || []).map((k) => ('' + k).toLowerCase());
  return o;
}

import type { ConsentState, Plugin, TrackerOptions } from '../types';

export type Resolved = Required<Omit<TrackerOptions, 'stages' | 'beforeSend' | 'transform'>> &
  Pick<TrackerOptions, 'stages' | 'beforeSend' | 'transform'> & { consent: ConsentState };

const isPlugin = (p: any): p is Plugin => typeof p?.name == 'string';

/**
 * Checks the mistakes that would silently lose data, at setup where they are the developer's
 * and should fail loudly, and returns a copy with the defaults. The caller's object is never changed.
 */
export function checkOptions(options: TrackerOptions): Resolved {
  const o = {
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
    ...options,
  } as Resolved;
  const bad = (key: string, expected: string): never => {
    throw new TypeError(`waymark: option "${key}" must be ${expected}`);
  };
  if (!o.endpoint || typeof o.endpoint != 'string') bad('endpoint', 'the collector URL, e.g. "/v1/batch"');
  if (!/^(pending|granted|denied)$/.test(o.consent)) bad('consent', '"pending", "granted" or "denied"');
  if (![...o.capture, ...o.plugins].every(isPlugin)) bad('capture', 'an array of plugins, e.g. [pageViews()]');
  if (o.stages && !isPlugin(o.stages)) bad('stages', 'the stage engine: stages: journey(rules), with journey imported from "waymark"');
  if (o.headers && typeof o.headers != 'object') bad('headers', 'an object, e.g. { Authorization: "Bearer …" }');
  // A single name is accepted as a list of one.
  o.redact = ([] as string[]).concat(o.redact || []).map((k) => ('' + k).toLowerCase());
  return o;
}

import type { ConsentState, Plugin, TrackerOptions } from '../types';

export type Resolved = Required<Omit<TrackerOptions, 'stages' | 'beforeSend' | 'transform'>> &
  Pick<TrackerOptions, 'stages' | 'beforeSend' | 'transform'> & { consent: ConsentState };

const NUMBERS = ['batchSize', 'flushInterval', 'maxQueue', 'maxQueueBytes', 'maxAge', 'maxPending', 'sessionTimeout'] as const;

const fail = (message: string): never => {
  throw new TypeError('waymark: ' + message);
};

const isPlugin = (p: any): p is Plugin => !!p && typeof p == 'object' && typeof p.name == 'string';

/**
 * Validates options at setup, where a mistake is the developer's and should fail loudly,
 * and returns a resolved copy. The caller's object is never changed.
 */
export function checkOptions(options: TrackerOptions): Resolved {
  if (!options || typeof options != 'object') fail('createTracker(options) needs an options object');
  const o: Resolved = {
    consent: 'pending',
    respectGpc: true,
    capture: [],
    plugins: [],
    headers: {},
    batchSize: 20,
    flushInterval: 3e3,
    maxQueue: 1e3,
    maxQueueBytes: 1e6,
    maxAge: 6048e5,
    maxPending: 200,
    sessionTimeout: 18e5,
    redact: [],
    storageName: 'waymark',
    debug: false,
    ...options,
  } as Resolved;
  if (typeof o.endpoint != 'string' || !o.endpoint) fail('`endpoint` is required, e.g. createTracker({ endpoint: "/v1/batch" })');
  if (!/^(pending|granted|denied)$/.test(o.consent)) fail('`consent` must be "pending", "granted" or "denied"');
  for (const k of NUMBERS) if (!(o[k] > 0)) fail('`' + k + '` must be a positive number');
  for (const k of ['capture', 'plugins'] as const) {
    if (!Array.isArray(o[k]) || !o[k].every(isPlugin)) fail('`' + k + '` must be an array of plugins, e.g. [pageViews(), clicks()]');
  }
  if (o.stages && !isPlugin(o.stages)) fail('`stages` takes the stage engine: stages: journey(rules), with journey imported from "waymark"');
  if (!Array.isArray(o.redact)) fail('`redact` must be an array of query parameter names');
  o.redact = o.redact.map((k) => String(k).toLowerCase());
  return o;
}

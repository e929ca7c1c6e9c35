import { createTracker } from '../core/tracker';
import { attribution } from '../capture/attribution';
import { clicks } from '../capture/clicks';
import { forms } from '../capture/forms';
import { frustration } from '../capture/frustration';
import { pageViews } from '../capture/pageViews';
import type { Plugin, Tracker } from '../types';
import { VERSION } from '../version';

const COMMANDS = /^(consent|track|page|identify|reset|feedback|flush|on)$/;

/** Capture modules the script tag can turn on with `data-capture`; all by default. Each gets the tag's options (`data-hash` for pageViews). */
export type Modules = Record<string, (options?: any) => Plugin>;

/**
 * The script-tag bootstrap: reads the options from the tag's `data-` attributes, replaces
 * the `window.waymark` stub with the real command function and replays the stub's queue in
 * order. Adds nothing else to `window`; never throws into the page.
 */
export function boot(modules: Modules, journey?: (src: string) => Plugin): void {
  const w = window as any;
  const stub = w.waymark;
  const tag: any = document.currentScript || document.querySelector('script[data-endpoint]');
  // Loaded twice (the theme and a tag manager; waymark.min.js and waymark.vitals.min.js, where
  // the first to arrive runs): said, as web vitals would come from some page loads only. The
  // same script again once the tag that ran has left the page is quiet: Turbo replaces <body>
  // on every visit and runs a tag placed there again. That tag is now the one on the page, and
  // a data-consent it says anew (`c`: the last one said) is the visitor's (a server that saw them
  // say no renders "denied"). Not from a tag that ran before (`data-ran`): Turbo runs its cached
  // copy of a page seen before (the back button, a preview), which says what the server knew then.
  // Not a tag in <head>: Turbo keeps the head, and merges the next page's by each element's outerHTML,
  // so a tag changed there would be a new script to run (and, marked data-turbo-track, a reload).
  const ran = (t: HTMLElement) => document.head.contains(t) || (t.dataset.ran = '1');
  if (stub?.version) {
    if (tag?.src != stub.s?.src || stub.s?.isConnected) return console.warn('[waymark] loaded twice: this copy is ignored');
    const d = tag.dataset;
    if (!d.ran && d.consent && d.consent != stub.c) stub('consent', (stub.c = d.consent));
    return void ((stub.s = tag), ran(tag));
  }
  try {
    const opts: Record<string, any> = {};
    const data = tag ? tag.dataset : {};
    for (const k in data) {
      const x = data[k]!;
      // A bare attribute (<script data-debug>) is true. Numbers as JSON writes them (5000, 1e6, 2.5E3).
      opts[k] = x == 'true' || x == '' ? true : x == 'false' ? false : /^\d+(\.\d+)?(e[+-]?\d+)?$/i.test(x) ? +x : x;
      // HTML lowercases attribute names: data-batchSize arrives as "batchsize", which no option is.
      // The warning names the attribute to write for that option.
      const kebab = 'respect-gpc batch-size flush-interval max-queue max-queue-bytes max-age max-pending session-timeout storage-name'
        .split(' ')
        .find((n) => n.replace(/-/g, '') == k);
      if (kebab) console.warn(`[waymark] data-${k} is ignored: write data-${kebab}`);
    }
    if (!opts.endpoint) {
      // Leave the stub in place: its calls keep queueing harmlessly.
      return console.error('[waymark] data-endpoint is missing on the script tag, so nothing is tracked. Example: data-endpoint="https://collect.example.com/v1/batch"');
    }
    // Lists and URLs are strings: a bare data-capture, data-redact or data-stages (read as true) is ignored.
    // Names apart by spaces or commas, or a JSON list (["a","b"]): its brackets and quotes are
    // separators too, and the empty names around them are dropped (no JSON.parse that could throw).
    const list = (x: unknown) => (typeof x == 'string' && x ? x.split(/[\s,[\]"']+/).filter((n) => n) : undefined);
    const names = list(opts.capture) || Object.keys(modules);
    opts.capture = names.filter((n) => modules[n]).map((n) => modules[n](opts));
    opts.redact = list(opts.redact) || [];
    opts.stages = typeof opts.stages == 'string' && journey ? journey(opts.stages) : undefined;
    const t: any = createTracker(opts as any);
    const run = (args: ArrayLike<any>) => {
      try {
        const [cmd, ...rest] = Array.from(args);
        if (COMMANDS.test(cmd)) return (t as Tracker & Record<string, any>)[cmd](...rest);
        console.warn('[waymark] unknown command: ' + cmd);
      } catch {}
    };
    // (Size: rest parameters, not a function that reads `arguments`; callers see no difference.)
    const waymark: any = (...args: any[]) => run(args);
    waymark.version = VERSION;
    waymark.s = tag;
    waymark.c = tag.dataset.consent;
    ran(tag);
    w.waymark = waymark;
    // Commands that the replay itself sends through a kept stub reference land in the same
    // list, and run in turn.
    const q = (waymark.q = stub?.q || []);
    for (let i = 0; i < q.length; i++) run(q[i]);
    // A reference to the stub kept from before the load (a consent banner's callback) pushes
    // to `waymark.q`: from now on that runs the command, or a revoke made through it would be lost.
    waymark.q = { push: run };
  } catch (err) {
    console.error('[waymark] ' + ((err as Error).message || err));
  }
}

/** In run order: attribution first, so that page views and stage rules see the channel. */
export const defaultModules = (): Modules => ({ attribution, pageViews, clicks, forms, frustration });

// Turns the raw runs into the markdown report.
import { fmt, median, ratio } from './stats.mjs';

const ok = (runs) => (runs || []).filter((r) => r && !r.failed);
const uniq = (xs) => [...new Set(xs)];
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const host = (u) => {
  try {
    const x = new URL(u);
    return x.host + x.pathname.replace(/\/[^/]*$/, '/…');
  } catch {
    return u;
  }
};

const STORAGE = {
  waymark: 'IndexedDB',
  posthog: 'memory',
  amplitude: 'localStorage',
  snowplow: 'localStorage',
  segment: 'memory (localStorage on pagehide)',
  rudderstack: 'localStorage',
  plausible: 'none',
};

export function report({ sdks, bytesOnly, sizes, failures, results, reps, clicks, events, queueSeconds, buildNote, skip }) {
  const out = [];
  const e = results.env;
  const W = 'waymark';
  out.push('## Waymark side by side', '');
  out.push(
    `Measured in one run on ${e.date.slice(0, 10)}: Chromium ${e.chromium} (headless), ${e.cpus} CPUs (${e.cpuModel}), ` +
      `${e.memGB} GB, ${e.os}, Node ${e.node}, esbuild ${e.esbuild}. ${reps} repetitions of each timing, medians shown; ` +
      `the whole run took ${e.minutes.toFixed(1)} min. Ratios are Waymark ÷ peer.`,
  );
  if (buildNote) out.push('', `**${buildNote}**`);
  out.push('');

  // ---- bytes ----
  // What the bench page really loaded: the up-front files plus the on-demand chunks it fetched.
  const loaded = (id) => {
    const z = sizes[id];
    const ch = results.chunks[id];
    const extra = Array.isArray(ch) ? ch.filter((f) => !z.initialFiles?.includes(f)) : [];
    return { bytes: z.brotli + extra.reduce((n, f) => n + ((z.files || {})[f] || 0), 0), chunks: extra.length };
  };
  const wb = sizes[W] && loaded(W).bytes;
  const rows = [];
  const byteRow = (s, label) => {
    const z = sizes[s.id];
    if (!z) return rows.push([label, s.version || '', 'build failed: ' + (failures[s.id] || '?'), '', '', '', '', '']);
    const l = loaded(s.id);
    rows.push([
      label,
      s.version || '',
      fmt(z.minified),
      fmt(z.brotli),
      z.lazyChunks ? `${z.lazyChunks} chunks, ${fmt(z.lazyBrotli)} B; ${l.chunks} fetched` : '–',
      `**${fmt(l.bytes)}**`,
      s.id == W || s.id == 'waymark.min.js' ? '' : ratio(wb, l.bytes),
      s.features,
    ]);
  };
  for (const s of sdks) byteRow(s, s.id == W ? 'Waymark (npm import, 7 modules)' : s.label);
  if (sizes['waymark.min.js'])
    byteRow({ id: 'waymark.min.js', version: sdks.find((s) => s.id == W)?.version, features: 'the shipped script-tag bundle, as is' }, 'Waymark dist/waymark.min.js');
  for (const s of bytesOnly) byteRow(s, s.label);
  out.push('### 1. Bytes', '');
  out.push(
    table(['SDK', 'version', 'minified B, up front', 'brotli B, up front', 'on-demand chunks (brotli)', 'brotli B the bench page loaded', 'Waymark ÷ peer', 'what the init turns on'], rows),
  );
  out.push(
    '',
    'Each SDK is imported from npm and initialised in an entry file (test/bench/sdks/), bundled by esbuild ' +
      '(minified, ES2020, ESM with code splitting) and compressed with brotli at quality 11. "Up front" is the entry and ' +
      'its static imports. Code an SDK imports with `import()` lands in on-demand chunks, counted apart; the bench page ' +
      '(init and 50 clicks) shows which of them load, and "loaded" adds those. Segment loads its core that way, so its ' +
      'up-front figure is only a loader. Code an SDK fetches from its own servers at run time is in no bundle: see ' +
      '"Run-time loads" below. Versions are pinned in test/bench/package.json; Amplitude is at 2.47.0 because 2.48.x ' +
      'needs a plugin release that the registry reachable here does not have.',
    '',
  );

  // ---- init ----
  const init = {};
  for (const s of ['none', ...sdks.map((x) => x.id)]) {
    const r = ok(results.init[s]);
    init[s] = {
      evalMs: median(r.map((x) => x.evalMs)),
      initMs: median(r.map((x) => x.initMs)),
      readyMs: median(r.map((x) => x.readyMs)),
      busyMs: median(r.map((x) => x.busyMs)),
      n: r.length,
    };
  }
  const busyBase = init.none?.busyMs || 0;

  // ---- clicks ----
  const base = ok(results.clicks.none);
  const baseMed = median(base.map((r) => median(r.times)));
  const baseBusy = median(base.map((r) => r.busyMs));
  const ck = {};
  for (const s of sdks) {
    const r = ok(results.clicks[s.id]);
    ck[s.id] = {
      us: (median(r.map((x) => median(x.times))) - baseMed) * 1e3,
      p95: (median(r.map((x) => x.times.slice().sort((a, b) => a - b)[Math.floor(x.times.length * 0.95)])) - baseMed) * 1e3,
      allIn: ((median(r.map((x) => x.busyMs)) - baseBusy) / clicks) * 1e3,
      longtasks: median(r.map((x) => x.longtasks.length)),
      longest: Math.max(0, ...r.flatMap((x) => x.longtasks.map((l) => l.duration))),
      events: median(r.map((x) => x.events)),
      names: r[0]?.names || {},
      n: r.length,
    };
  }
  if (!skip.has('clicks')) {
    out.push('### 2. Main-thread cost of 1,000 clicks', '');
    out.push(
      table(
        ['SDK', 'µs per click (median)', 'Waymark ÷ peer', 'p95 µs', 'all-in µs per click', 'Waymark ÷ peer', 'long tasks (longest)', 'events sent'],
        [
          [
            '(page without SDK)',
            `${fmt(baseMed * 1e3, 1)} absolute`,
            '',
            fmt(median(base.map((x) => x.times.slice().sort((a, b) => a - b)[Math.floor(x.times.length * 0.95)])) * 1e3, 0) + ' absolute',
            `${fmt((baseBusy / clicks) * 1e3, 1)} absolute`,
            '',
            `${fmt(median(base.map((x) => x.longtasks.length)))}${base.some((x) => x.longtasks.length) ? ` (${fmt(Math.max(...base.flatMap((x) => x.longtasks.map((l) => l.duration))))} ms)` : ''}`,
            '0',
          ],
        ].concat(sdks.map((s) => {
          const c = ck[s.id];
          if (!c.n) return [s.label, 'failed', '', '', '', '', '', ''];
          return [
            s.label,
            `**${fmt(c.us, 1)}**`,
            s.id == W ? '' : ratio(ck[W]?.us, c.us),
            fmt(c.p95, 0),
            fmt(c.allIn, 1),
            s.id == W ? '' : ratio(ck[W]?.allIn, c.allIn),
            `${fmt(c.longtasks)}${c.longest ? ` (${fmt(c.longest)} ms)` : ''}`,
            fmt(c.events),
          ];
        })),
      ),
    );
    out.push(
      '',
      `Method: the page (nav, hero, 24 product cards with buttons and links, a checkout form, a footer; about 400 elements) ` +
        `dispatches ${fmt(clicks)} synthetic clicks over its ${base[0]?.targets} targets (links, buttons, headings, form fields) in turn, each a pointerdown, mousedown, pointerup, mouseup and click. ` +
        'A click is timed with performance.now() (5 µs resolution: the page is cross-origin isolated) from its first dispatch ' +
        'to the end of the next task boundary (a MessageChannel message), so the SDK’s listeners, their microtasks and ' +
        'whatever they queued as tasks before it are counted. "µs per click" is the median click with the SDK minus the ' +
        `median click of the same page without any SDK (${fmt(baseMed * 1e3, 1)} µs), median over ${reps} runs. ` +
        '"All-in" is the renderer main thread’s total busy time (CDP Performance TaskDuration, counted in thread time, so other processes on the machine do not inflate it) from the first click to 3.5 s ' +
        'after the last (so batched deliveries on timers are included), minus the same without an SDK, divided by the clicks. ' +
        'Long tasks: PerformanceObserver("longtask") over the same window, median count and the longest of any run; the page alone ' +
        'has some too (garbage collection, a busy machine): see its row. "Events sent": what reached the collector in that ' +
        'window (an SDK that captures nothing on these clicks costs little).',
      '',
    );
    const nm = sdks
      .filter((s) => ck[s.id].n)
      .map((s) => `${s.label}: ${Object.entries(ck[s.id].names).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'nothing'}`);
    out.push('<details><summary>Events sent during the click run (first repetition)</summary>', '', ...nm.map((x) => '- ' + x), '', '</details>', '');
  }

  if (!skip.has('init')) {
    out.push('### 3. Init cost', '');
    out.push(
      table(
        ['SDK', 'evaluate ms', 'init call ms', 'to ready ms', 'Waymark ÷ peer', 'main thread, first second ms', 'Waymark ÷ peer', 'ready means'],
        sdks.map((s) => {
          const x = init[s.id];
          if (!x.n) return [s.label, 'failed', '', '', '', '', '', ''];
          return [
            s.label,
            fmt(x.evalMs, 1),
            fmt(x.initMs, 1),
            `**${fmt(x.readyMs, 1)}**`,
            s.id == W ? '' : ratio(init[W]?.readyMs, x.readyMs),
            fmt(x.busyMs - busyBase, 1),
            s.id == W ? '' : ratio(init[W]?.busyMs - busyBase, x.busyMs - busyBase),
            READY[s.id] || '',
          ];
        }),
      ),
    );
    out.push(
      '',
      'Method: the bundle is fetched first, then evaluated from an inline script (compile and run, no network time). ' +
        '"To ready" runs from evaluation start to the SDK’s own ready signal, after its first page event was handed to it. ' +
        '"Main thread, first second" is CDP TaskDuration (thread time) from just before evaluation to one second after ready, minus the same ' +
        `window without an SDK (${fmt(busyBase, 1)} ms): it includes async start-up work (storage, settings, timers) that "to ready" may not.`,
      '',
    );
  }

  // ---- queue ----
  if (!skip.has('queue')) {
    const q = {};
    for (const s of sdks) {
      const r = ok(results.queue[s.id]);
      q[s.id] = {
        enqueued: median(r.map((x) => x.enqueued)),
        enqueueMs: median(r.map((x) => x.enqueueMs)),
        eps: median(r.map((x) => x.eventsPerSec)),
        delivered: median(r.map((x) => x.delivered)),
        complete: r.every((x) => x.complete),
        elapsed: median(r.map((x) => x.elapsedMs)),
        heap: median(r.map((x) => x.heapPeakMB)),
        heapDelta: median(r.map((x) => x.heapDeltaMB)),
        ltEnq: Math.max(0, ...r.map((x) => x.longEnqueue.length)),
        ltEnqMax: Math.max(0, ...r.flatMap((x) => x.longEnqueue.map((l) => l.duration))),
        ltDrain: Math.max(0, ...r.map((x) => x.longDrain.length)),
        ltDrainMax: Math.max(0, ...r.flatMap((x) => x.longDrain.map((l) => l.duration))),
        storage: r[0]?.storage,
        requests: median(r.map((x) => x.requests)),
        n: r.length,
      };
    }
    out.push(`### 4. Queue: ${fmt(events)} events enqueued and delivered (each run stops after ${queueSeconds} s)`, '');
    out.push(
      table(
        ['SDK', 'queue storage', `enqueue ${fmt(events)} ms`, `delivered in ${queueSeconds} s`, 'events/s to collector', 'Waymark ÷ peer', 'requests', 'peak JS heap MB (+Δ)', 'long tasks enqueue (longest)', 'long tasks drain (longest)'],
        sdks.map((s) => {
          const x = q[s.id];
          if (!x.n) return [s.label, STORAGE[s.id], 'failed', '', '', '', '', '', '', ''];
          const st = x.storage
            ? `${STORAGE[s.id]} (seen: ${x.storage.idb.length ? 'IDB ' + x.storage.idb.join(', ') + '; ' : ''}localStorage ${fmt(x.storage.localStorageChars / 1024)} KiB)`
            : STORAGE[s.id];
          return [
            s.label,
            st,
            x.enqueued < events ? `stopped: ${fmt(x.enqueued)} in ${fmt(x.enqueueMs)}` : fmt(x.enqueueMs),
            x.complete ? `all, in ${fmt(x.elapsed / 1e3, 1)} s` : `${fmt(x.delivered)} ⚠`,
            `**${fmt(x.eps)}**`,
            s.id == W ? '' : ratio(q[W]?.eps, x.eps),
            fmt(x.requests),
            `${fmt(x.heap, 1)} (+${fmt(x.heapDelta, 1)})`,
            `${x.ltEnq}${x.ltEnqMax ? ` (${fmt(x.ltEnqMax)} ms)` : ''}`,
            `${x.ltDrain}${x.ltDrainMax ? ` (${fmt(x.ltDrainMax)} ms)` : ''}`,
          ];
        }),
      ),
    );
    out.push(
      '',
      `Method: after init, the page calls \`track('bench-<i>-x', {4 properties})\` ${fmt(events)} times, 100 calls per task ` +
        `(a page does not track 10,000 events in one task, and the harness must not make the long tasks it counts), and the ` +
        `collector counts distinct events. A run stops ${queueSeconds} s after the first track() call, or 5 s after the last ` +
        `new arrival; enqueueing stops at ${queueSeconds} s too (some SDKs rewrite their whole stored queue on every event and slow down as it grows). ` +
        '"Events/s" is delivered events over the time from the first track() call to the last arrival (all delivered) or to the ' +
        'end of the run (not all delivered); higher is better, so here a ratio above 1 favours Waymark. Queue bounds and client ' +
        'rate limits were raised where an SDK has them (Waymark, Snowplow, RudderStack, PostHog) so that none drops events by ' +
        'design. Peak heap: CDP Runtime.getHeapUsage every 100 ms (+Δ over the heap after a GC just before). Long tasks are ' +
        'counted while enqueueing (first to last track() call, plus one task boundary) and while draining (from then to the end ' +
        'of the run), the worst repetition shown. "Seen" is what the page held just after enqueueing.',
      '',
    );
    results.q = q;
  }

  // ---- bars ----
  out.push('### Bars', '');
  if (!skip.has('clicks') && ck[W]?.n && ck.posthog?.n) {
    const pass = ck[W].us <= ck.posthog.us / 3;
    const passAll = ck[W].allIn <= ck.posthog.allIn / 3;
    out.push(
      `- Main-thread cost per click at most ⅓ of PostHog's: **${pass ? 'met' : 'MISSED'}** — Waymark ${fmt(ck[W].us, 1)} µs, ` +
        `PostHog ${fmt(ck.posthog.us, 1)} µs (⅓ = ${fmt(ck.posthog.us / 3, 1)} µs; ratio ${ratio(ck[W].us, ck.posthog.us)}). ` +
        `All-in: Waymark ${fmt(ck[W].allIn, 1)} µs, PostHog ${fmt(ck.posthog.allIn, 1)} µs (${passAll ? 'also within ⅓' : 'NOT within ⅓'}).`,
    );
  }
  if (!skip.has('queue') && results.q?.[W]?.n) {
    const x = results.q[W];
    out.push(
      `- No long task over 50 ms while enqueueing ${fmt(events)} events: **${x.ltEnq == 0 ? 'met' : 'MISSED'}** — ` +
        `${x.ltEnq} long task(s) in the worst repetition${x.ltEnqMax ? `, the longest ${fmt(x.ltEnqMax)} ms` : ''}. ` +
        `While draining: ${x.ltDrain}${x.ltDrainMax ? `, the longest ${fmt(x.ltDrainMax)} ms` : ''}.`,
    );
  }
  out.push('');

  // ---- run-time loads ----
  const loads = [];
  for (const s of sdks) {
    const all = ['init', 'clicks', 'queue'].flatMap((k) => ok(results[k][s.id]));
    const blocked = uniq(all.flatMap((r) => r.blocked || []).map(host));
    const lazy = uniq(all.flatMap((r) => r.lazyLoads || []));
    const errs = uniq(all.flatMap((r) => r.errors || []).map((x) => x.split('\n')[0])).slice(0, 3);
    if (blocked.length || lazy.length || errs.length)
      loads.push(
        `- ${s.label}: ` +
          [
            blocked.length && `blocked requests to ${blocked.join(', ')}`,
            lazy.length && `scripts asked of the collector host (answered 404): ${lazy.join(', ')}`,
            errs.length && `page errors: ${errs.map((x) => '`' + x.replace(/`/g, "'").slice(0, 160) + '`').join('; ')}`,
          ]
            .filter(Boolean)
            .join('; '),
      );
  }
  out.push('### Run-time loads and errors', '');
  out.push(
    'Every SDK points at a stub collector on 127.0.0.1 that answers 200; any other request is aborted in the browser (page.route) and listed here.',
    '',
    ...(loads.length ? loads : ['- none']),
    '',
  );
  const r = results.redact;
  if (r && r[30000])
    out.push(
      '',
      '### URL redaction (Waymark alone, Node)',
      '',
      `A query value of 30,000 characters (a dashboard's state in its URL): ${r[30000].toFixed(1)} ms of CPU; of 300,000: ${r[300000].toFixed(1)} ms, ` +
        `${(r[300000] / r[30000]).toFixed(1)}× for 10× the URL (about 10 when the time grows with the URL, 100 with its square).`,
    );
  return out.join('\n');
}

const READY = {
  waymark: 'createTracker() returned (the page view is emitted inside it; IndexedDB opens after)',
  posthog: '`loaded` callback',
  amplitude: '`init().promise` resolved',
  snowplow: 'newTracker() and trackPageView() returned',
  segment: '`analytics.ready()` resolved',
  rudderstack: '`onLoaded` callback',
  plausible: 'enableAutoPageviews() returned',
};

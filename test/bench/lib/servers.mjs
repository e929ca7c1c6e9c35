// Two local servers on 127.0.0.1 (port 0): the page origin, and the stub collector every SDK
// is pointed at. The collector answers 200 to everything it is sent, counts the events it
// receives per run (each run has its own path prefix), and answers 404 to script requests,
// which are SDKs lazy-loading code at run time.
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pageHtml } from './page.mjs';

const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

/** Serves the page (cross-origin isolated, for 5 µs timers) and the built bundles. */
export async function startPageServer({ harnessFile, bundles, esmDir }) {
  const html = pageHtml();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const headers = {
      // Cross-origin isolation raises performance.now() resolution from 100 µs to 5 µs.
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    if (path == '/' || path == '/index.html') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(html);
    }
    if (path == '/harness.js') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
      return res.end(readFileSync(harnessFile));
    }
    const m = /^\/sdk\/([\w-]+)\.js$/.exec(path);
    if (m && bundles[m[1]]) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
      return res.end(readFileSync(bundles[m[1]]));
    }
    const e = /^\/esm\/([\w-]+)\/([\w-]+\.js)$/.exec(path);
    if (e && existsSync(join(esmDir, e[1], e[2]))) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
      return res.end(readFileSync(join(esmDir, e[1], e[2])));
    }
    res.writeHead(404, headers);
    res.end();
  });
  const port = await listen(server);
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Pulls the events out of one request body, whatever the SDK's format. */
export function decodeEvents(buf, url) {
  let text;
  try {
    text = buf[0] == 0x1f && buf[1] == 0x8b ? gunzipSync(buf).toString() : buf.toString();
  } catch {
    text = buf.toString();
  }
  // posthog-js without compression may send `data=<base64 JSON>`.
  if (/^data=/.test(text)) {
    const v = decodeURIComponent(text.slice(5).replace(/\+/g, ' '));
    text = /^[[{]/.test(v) ? v : Buffer.from(v, 'base64').toString();
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    // A GET pixel or a form body: one event in the query or body.
    return { events: text || url.search ? [{ raw: text || url.search }] : [], text: text + url.search };
  }
  const list = Array.isArray(body) ? body : body.batch || body.data || body.events || (body.type || body.event || body.n || body.name ? [body] : []);
  return { events: Array.isArray(list) ? list : [], text };
}

/** The event's name as each wire format spells it. */
export const eventName = (e) =>
  e.event || e.event_type || e.se_ac || (e.e == 'pv' ? 'page_view' : e.e == 'ue' ? 'self-describing' : e.e) || e.n || e.name || e.type || '?';

/**
 * What an SDK's own servers would answer for a project set up as in sdks/*.mjs. PostHog
 * turns autocapture on only once its remote config says `autocapture_opt_out: false`, as
 * PostHog's servers do for a project with autocapture on (the default).
 */
const CONFIG_ANSWERS = [
  [
    /\/array\/[^/]+\/config$/,
    {
      supportedCompression: ['gzip', 'gzip-js'],
      hasFeatureFlags: false,
      autocapture_opt_out: false,
      captureDeadClicks: true,
      capturePerformance: false,
      autocaptureExceptions: false,
      heatmaps: false,
      sessionRecording: false,
      surveys: false,
      elementsChainAsString: true,
      defaultIdentifiedOnly: true,
      siteApps: [],
    },
  ],
  [/\/flags\/?$/, { featureFlags: {}, featureFlagPayloads: {}, flags: {}, errorsWhileComputingFlags: false }],
];

export async function startCollector() {
  const runs = new Map();
  const run = (id) => {
    if (!runs.has(id)) runs.set(id, { requests: 0, events: 0, names: {}, seqs: new Set(), lastSeqAt: 0, lazyLoads: [], bytes: 0 });
    return runs.get(id);
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const id = (/^\/r\/([\w-]+)/.exec(url.pathname) || [])[1] || 'none';
    const cors = {
      'Access-Control-Allow-Origin': req.headers.origin || '*',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] || '*',
      'Access-Control-Max-Age': '600',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Timing-Allow-Origin': '*',
    };
    if (req.method == 'OPTIONS') {
      res.writeHead(204, cors);
      return res.end();
    }
    if (req.method == 'GET' && /\.js$/.test(url.pathname)) {
      run(id).lazyLoads.push(url.pathname.replace(/^\/r\/[\w-]+/, ''));
      res.writeHead(404, cors);
      return res.end();
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const buf = Buffer.concat(chunks);
      const r = run(id);
      const isEventPost = req.method == 'POST' || /\/i$|\/tp2|\/event/.test(url.pathname);
      if (isEventPost && !/\/flags|\/decide|\/config/.test(url.pathname)) {
        r.requests++;
        r.bytes += buf.length;
        const { events, text } = decodeEvents(buf, url);
        r.events += events.length;
        for (const e of events) {
          const n = eventName(e);
          r.names[n] = (r.names[n] || 0) + 1;
        }
        const before = r.seqs.size;
        for (const m of text.matchAll(/bench-(\d+)-x/g)) r.seqs.add(+m[1]);
        if (r.seqs.size > before) r.lastSeqAt = performance.now();
      }
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json' });
      const answer = CONFIG_ANSWERS.find(([re]) => re.test(url.pathname));
      // Otherwise enough for every SDK: PostHog reads `status`, Amplitude `code`.
      res.end(answer ? JSON.stringify(answer[1]) : '{"status":1,"code":200}');
    });
  });
  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    run,
    close: () => new Promise((r) => (server.closeAllConnections?.(), server.close(r))),
  };
}

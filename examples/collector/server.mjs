// The Waymark reference collector: receives batches at POST /v1/batch, stores them in SQLite
// and serves the journey dashboard at /. Plain node:http, no framework.
//
//   node examples/collector/server.mjs --port 8787 --db .demo-data/waymark.db --rules examples/site/journey.json
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openStore } from './db.mjs';
import { LIMITS, validateEnvelope, validateEvent } from './validate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// chart.js does not export its UMD file, so find it next to the entry it does export.
const chartJs = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js');

const STATIC = {
  '/': [join(here, 'dashboard/index.html'), 'text/html; charset=utf-8'],
  '/dashboard.js': [join(here, 'dashboard/dashboard.js'), 'text/javascript; charset=utf-8'],
  '/dashboard.css': [join(here, 'dashboard/dashboard.css'), 'text/css; charset=utf-8'],
  '/chart.umd.js': [chartJs, 'text/javascript; charset=utf-8'],
};

// The dashboard shows what visitors typed (feedback comments) and what pages sent: it runs
// under a CSP that allows no inline script or style and no other origin, with Trusted Types.
const DASHBOARD_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

// Browsers send batches cross-origin without credentials, so any origin may post.
// Content-Type is the one non-simple header the SDK's regular flushes use.
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization',
  'Access-Control-Max-Age': '86400',
};

class HttpError extends Error {
  constructor(status, message, extra) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}

const send = (res, status, body, headers = {}) => {
  if (res.headersSent) return res.end();
  const json = typeof body == 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(json);
};

/** Reads the body up to the limit; a bigger one is refused before it is all read. */
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) return reject(new HttpError(413, `body is ${declared} bytes; the limit is ${limit}`));
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `body is over the limit of ${limit} bytes`));
        req.pause();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new HttpError(400, 'request aborted')));
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Media types the SDK sends: JSON for flushes, text/plain for page-hide beacons (CORS-simple, no preflight). */
function parseBatch(buf, contentType) {
  const type = String(contentType || 'text/plain').split(';')[0].trim().toLowerCase();
  if (type != 'application/json' && type != 'text/plain') {
    throw new HttpError(415, `Content-Type ${type} is not accepted; send application/json or text/plain`);
  }
  let text;
  try {
    text = utf8.decode(buf);
  } catch {
    throw new HttpError(400, 'body is not valid UTF-8');
  }
  if (!text.trim()) throw new HttpError(400, 'body is empty; expected {"batch": [...]}');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'body is not valid JSON: ' + err.message);
  }
}

/**
 * Starts the collector.
 * @param {{ port?: number, host?: string, file?: string, stages?: string[], log?: (line: string) => void }} options
 *   `file` is the SQLite file (':memory:' for none); `stages` the stage order of the rules file.
 */
export async function createCollector({ port = 0, host = '127.0.0.1', file = ':memory:', stages = [], log = () => {} } = {}) {
  const store = openStore({ file, stages, log });

  const ingest = async (req, res) => {
    const buf = await readBody(req, LIMITS.bodyBytes);
    const body = parseBatch(buf, req.headers['content-type']);
    // A broken envelope, or a batch with no valid event, is refused whole (400: the SDK drops
    // it, since sending it again cannot help). Otherwise the valid events are stored and the
    // invalid ones are refused one by one: a 400 for the batch would lose the good events too.
    const refuse = (problems) => {
      throw new HttpError(400, problems.length == 1 ? problems[0] : `${problems.length} problems, first: ${problems[0]}`, {
        problems: problems.slice(0, 20),
      });
    };
    const envelope = validateEnvelope(body);
    if (envelope.length) refuse(envelope);
    const problems = [];
    const valid = body.batch.filter((e, i) => {
      const p = validateEvent(e, `batch[${i}]`);
      problems.push(...p);
      return !p.length;
    });
    if (!valid.length) refuse(problems);
    const sentAt = body.sentAt ? Date.parse(body.sentAt) : null;
    const meta = { receivedAt: Date.now(), sentAt, dropped: body.dropped || 0, contentType: req.headers['content-type'] || null };
    const { stored, duplicates } = store.insertBatch(valid, meta);
    if (problems.length) log(`refused ${body.batch.length - valid.length} of ${body.batch.length} events: ${problems[0]}`);
    send(res, 200, { ok: true, stored, duplicates, ...(problems.length && { refused: body.batch.length - valid.length, problems: problems.slice(0, 20) }) }, CORS);
  };

  const report = (url, res) => {
    const num = (k, d) => {
      const v = url.searchParams.get(k);
      if (v == null || v === '') return d;
      if (!/^\d{1,15}$/.test(v)) throw new HttpError(400, `${k} must be a time in epoch milliseconds`);
      return +v;
    };
    const from = num('from', 0);
    const to = num('to', Date.now() + 864e5);
    send(res, 200, store.report(from, to), { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  };

  const handle = async (req, res) => {
    const url = new URL(req.url || '/', 'http://collector.invalid');
    const path = url.pathname;
    if (path == '/v1/batch') {
      if (req.method == 'OPTIONS') return res.writeHead(204, CORS).end();
      if (req.method != 'POST') throw new HttpError(405, 'use POST', { headers: { Allow: 'POST, OPTIONS' } });
      return ingest(req, res);
    }
    if (req.method != 'GET' && req.method != 'HEAD') throw new HttpError(405, 'method not allowed', { headers: { Allow: 'GET' } });
    if (path == '/api/report') return report(url, res);
    if (path == '/healthz') return send(res, 200, { ok: true });
    const asset = STATIC[path];
    if (!asset) throw new HttpError(404, 'not found');
    const data = await readFile(asset[0]);
    res.writeHead(200, { 'Content-Type': asset[1], ...DASHBOARD_HEADERS });
    res.end(req.method == 'HEAD' ? undefined : data);
  };

  const server = createServer((req, res) => {
    // The request stream can error (client gone) after we answered; nothing to do then.
    req.on('error', () => {});
    handle(req, res).catch((err) => {
      const known = err instanceof HttpError;
      const status = known ? err.status : 500;
      if (!known) log(`collector: ${req.method} ${req.url} failed: ${err && err.stack}`);
      const headers = { ...(req.url?.startsWith('/v1/') ? CORS : {}), ...(err.extra?.headers || {}) };
      // After a 413 the rest of the body is not read: close the connection instead of draining it.
      if (status == 413) headers.Connection = 'close';
      const { headers: _, ...extra } = err.extra || {};
      try {
        send(res, status, { ok: false, error: known ? err.message : 'internal error', ...extra }, headers);
      } catch {}
      if (status == 413) res.on('finish', () => req.destroy());
    });
  });
  // Malformed HTTP never reaches the handler; answer it without letting it throw.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const base = `http://${host}:${server.address().port}`;
  return {
    url: base + '/',
    endpoint: base + '/v1/batch',
    port: server.address().port,
    store,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          store.close();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

/**
 * Reads the stage order from a rules file. Throws, saying why, when the file cannot be read,
 * is not JSON or lists no stages: a collector started with --rules must not quietly go without.
 */
export function stagesFrom(rulesFile) {
  let text;
  try {
    text = readFileSync(rulesFile, 'utf8');
  } catch (e) {
    throw new Error(`${rulesFile}: cannot read it (${e.code || e.message})`);
  }
  let rules;
  try {
    // A UTF-8 byte order mark: browsers' Response.json() skips it, JSON.parse does not.
    rules = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new Error(`${rulesFile}: not valid JSON (${e.message})`);
  }
  if (!Array.isArray(rules?.stages)) throw new Error(`${rulesFile}: no "stages" list of names`);
  return rules.stages.filter((s) => typeof s == 'string');
}

if (process.argv[1] && import.meta.url == pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      db: { type: 'string', default: '.demo-data/waymark.db' },
      rules: { type: 'string' },
    },
  });
  let stages = [];
  try {
    if (values.rules) stages = stagesFrom(values.rules);
  } catch (e) {
    console.error(`collector: --rules ${e.message}`);
    process.exit(2);
  }
  const c = await createCollector({
    port: +values.port,
    file: values.db,
    stages,
    log: console.error,
  });
  console.log(`Collector: POST ${c.endpoint}\nDashboard: ${c.url}`);
}

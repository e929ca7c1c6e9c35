// A small static server for the demo shop and the SPA: clean URLs (/pricing serves
// pricing.html), an optional single-page fallback, and the collector's address filled
// into the HTML where it says {{COLLECTOR}}, because the demo picks free ports at start.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

const isFile = (p) => stat(p).then((s) => s.isFile(), () => false);

/**
 * @param {{ root: string, collector: string, files?: Record<string, string>, spa?: boolean, port?: number, host?: string }} options
 *   `collector` is the collector's origin; `files` maps URL paths to files outside `root`
 *   (the SDK bundle, the shared rules); `spa` serves index.html for unknown routes.
 */
export async function createStaticServer({ root, collector, files = {}, spa = false, port = 0, host = '127.0.0.1' }) {
  const base = resolve(root);

  /** The file for a URL path, never outside `root`. */
  const locate = async (path) => {
    if (files[path]) return files[path];
    const file = resolve(base, '.' + normalize(path));
    if (file != base && !file.startsWith(base + sep)) return null;
    // The servers' own modules (this file, the simulator) live next to the pages; keep them private.
    if (extname(file) == '.mjs') return null;
    if (path.endsWith('/')) return (await isFile(join(file, 'index.html'))) ? join(file, 'index.html') : null;
    if (await isFile(file)) return file;
    if (!extname(file) && (await isFile(file + '.html'))) return file + '.html';
    if (spa && !extname(file)) return join(base, 'index.html');
    return null;
  };

  const server = createServer(async (req, res) => {
    try {
      if (req.method != 'GET' && req.method != 'HEAD') return res.writeHead(405, { Allow: 'GET' }).end();
      let path;
      try {
        path = decodeURIComponent(new URL(req.url || '/', 'http://site.invalid').pathname);
      } catch {
        return res.writeHead(400).end('bad path');
      }
      const file = path.includes('\0') ? null : await locate(path);
      if (!file) {
        const page = await readFile(join(base, '404.html'), 'utf8').catch(() => 'Not found');
        return res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
      }
      let body = await readFile(file);
      const type = TYPES[extname(file)] || 'application/octet-stream';
      if (type.startsWith('text/html')) body = body.toString('utf8').replaceAll('{{COLLECTOR}}', collector);
      // no-cache: a rebuilt SDK or an edited page shows on the next reload.
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method == 'HEAD' ? undefined : body);
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  return {
    url: `http://${host}:${server.address().port}/`,
    close: () =>
      new Promise((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

// A collector URL that redirects: fetch() would follow a 301/302 as a GET without the body,
// and that GET's 200 would settle a batch the collector never got. Against a real HTTP server.
import http from 'node:http';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { createTracker } from '../../src';
import type { WaymarkError } from '../../src/types';
import { freshIndexedDB, queued, settle, until } from '../helpers';

let idb: IDBFactory;
let server: http.Server;
let origin = '';
const log: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      log.push(`${req.method} ${req.url}`);
      const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*', 'Access-Control-Allow-Methods': 'POST, GET' };
      if (req.method == 'OPTIONS') return res.writeHead(204, cors).end();
      // The collector moved, or a trailing-slash rule: what nginx, Django and CDNs answer.
      if (req.url == '/v1/batch') return res.writeHead(301, { ...cors, Location: '/v1/batch/' }).end();
      res.writeHead(200, cors).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as any).port}`;
});
afterAll(() => void server.close());
beforeEach(() => {
  idb = freshIndexedDB();
});

test('a redirecting endpoint: nothing counts as delivered, the events stay queued, and a config error says what to fix', async () => {
  const t = createTracker({ endpoint: origin + '/v1/batch', consent: 'granted' });
  const sent: unknown[] = [];
  const errors: WaymarkError[] = [];
  t.on('sent', (s) => sent.push(s));
  t.on('error', (e) => errors.push(e));
  await settle();
  t.track('Order Completed', { total: 42 });
  await t.flush();
  await until(() => errors.length, 'the error');
  expect(sent).toEqual([]);
  expect(log.filter((l) => l.startsWith('GET'))).toEqual([]);
  expect(errors[0]).toMatchObject({ code: 'config', message: expect.stringMatching(/redirects: set the URL it redirects to/) });
  expect(await queued(idb)).toHaveLength(1);
  await t.shutdown();
});

// The dashboard's date filter (examples/collector/dashboard/dashboard.js), run in happy-dom
// against its own index.html: the period it asks the collector for.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';

const dir = resolve(__dirname, '../../examples/collector/dashboard');
const TZ = process.env.TZ;

afterEach(() => {
  process.env.TZ = TZ;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Loads the dashboard with a stand-in Chart.js, and returns the periods it asked for. */
async function dashboard() {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  document.body.innerHTML = /<body>([\s\S]*)<\/body>/.exec(html)![1].replace(/<script[\s\S]*?<\/script>/g, '');
  const asked: { from: number; to: number }[] = [];
  vi.stubGlobal('Chart', Object.assign(function () {}, { defaults: { font: {} } }));
  vi.stubGlobal('fetch', async (url: string) => {
    const q = new URL(url, 'http://dashboard.test').searchParams;
    asked.push({ from: +q.get('from')!, to: +q.get('to')! });
    return new Response('', { status: 503 });
  });
  new Function(readFileSync(join(dir, 'dashboard.js'), 'utf8'))();
  await vi.waitFor(() => expect(asked.length).toBeGreaterThan(0));
  return asked;
}

test('an end date is included up to its last hour, on the days clocks go back or forward', async () => {
  // Paris: 25 October 2026 has 25 hours (clocks go back at 03:00), 29 March 2026 has 23.
  process.env.TZ = 'Europe/Paris';
  vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 9, 25, 12) });
  const asked = await dashboard();
  const pick = async (from: string, to: string) => {
    (document.getElementById('from') as HTMLInputElement).value = from;
    const input = document.getElementById('to') as HTMLInputElement;
    input.value = to;
    input.dispatchEvent(new Event('change'));
    await vi.waitFor(() => expect(asked.at(-1)!.from).toBe(new Date(from + 'T00:00').getTime()));
    return asked.at(-1)!;
  };
  // The 7-day preset, today included: up to the next midnight, 25 hours after this one.
  expect(asked[0]).toEqual({ from: Date.UTC(2026, 9, 18, 22), to: Date.UTC(2026, 9, 25, 23) });
  expect(await pick('2026-10-20', '2026-10-25')).toEqual({ from: Date.UTC(2026, 9, 19, 22), to: Date.UTC(2026, 9, 25, 23) });
  // The 23-hour day ends at 00:00 on the 30th, 22:00 UTC: not an hour into the next day.
  expect(await pick('2026-03-29', '2026-03-29')).toEqual({ from: Date.UTC(2026, 2, 28, 23), to: Date.UTC(2026, 2, 29, 22) });
});

test('a preset ("Today", "7 days") follows the calendar: a dashboard left open past midnight moves on to the new day', async () => {
  process.env.TZ = 'Europe/Paris';
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-22T23:59:00').getTime() });
  const asked = await dashboard();
  const day = (d: string) => new Date(d + 'T00:00').getTime();
  expect(asked.at(-1)).toEqual({ from: day('2026-11-16'), to: day('2026-11-23') });
  // Two minutes later, the next refresh (the poll, or the tab shown again).
  vi.setSystemTime(new Date('2026-11-23T00:01:00').getTime());
  const n = asked.length;
  document.dispatchEvent(new Event('visibilitychange'));
  await vi.waitFor(() => expect(asked.length).toBeGreaterThan(n));
  expect(asked.at(-1)).toEqual({ from: day('2026-11-17'), to: day('2026-11-24') });
  expect(document.querySelector('.presets [data-days="7"]')!.getAttribute('aria-pressed')).toBe('true');
});

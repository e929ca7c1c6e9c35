import { afterEach, expect, test, vi } from 'vitest';
import { retryDelay } from '../../src/lib/retryDelay';

afterEach(() => vi.restoreAllMocks());

test('exponential with ±50% jitter, capped at five minutes', () => {
  vi.spyOn(Math, 'random').mockReturnValue(0);
  expect(retryDelay(1)).toBe(500);
  vi.spyOn(Math, 'random').mockReturnValue(0.999999);
  expect(retryDelay(1)).toBeCloseTo(1500, 0);
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  expect([1, 2, 3, 10, 20].map((n) => retryDelay(n))).toEqual([1000, 2000, 4000, 300000, 300000]);
});

test('Retry-After is a floor, in seconds or as a date, capped at an hour; garbage is ignored', () => {
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  expect(retryDelay(1, '10')).toBe(10000);
  expect(retryDelay(1, '0')).toBe(1000);
  expect(retryDelay(1, '999999')).toBe(3600000);
  expect(retryDelay(1, 'soon')).toBe(1000);
  const d = retryDelay(1, new Date(Date.now() + 60_000).toUTCString());
  expect(d).toBeGreaterThan(58_000);
  expect(d).toBeLessThanOrEqual(60_000);
});

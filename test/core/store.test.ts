import { expect, test } from 'vitest';
import { idbStore, memoryStore } from '../../src/core/store';

test.each([
  ['IndexedDB', () => idbStore('store-test-' + Math.random())],
  ['memory', () => memoryStore()],
])('%s: update is an atomic read-modify-write, also when calls overlap', async (_, make) => {
  const s = make();
  await Promise.all(Array.from({ length: 10 }, () => s.update('d', (d) => (d || 0) + 1)));
  expect(await s.get('d')).toBe(10);
  expect(await s.get('x')).toBe(undefined);
  await s.update('d', (d) => d - 4);
  expect(await s.get('d')).toBe(6);
  await s.put([['e1', ['a']], ['e0', ['b']]]);
  expect(await s.events(5)).toEqual([['e0', ['b']], ['e1', ['a']]]);
  expect(await s.keys()).toEqual(['e0', 'e1']);
  await s.drop();
});

import { expect, test, vi } from 'vitest';
import { memo } from '../../src/lib/memo';

test('runs once per distinct key, falsy answers included', () => {
  const f = vi.fn((k: string) => k == 'b');
  const m = memo(f);
  expect([m('a'), m('b'), m('a'), m('b')]).toEqual([false, true, false, true]);
  expect(f.mock.calls.map((c) => c[0])).toEqual(['a', 'b']);
});

test('a key named like an Object member is a key like any other', () => {
  const m = memo((k) => k.length);
  expect(m('constructor')).toBe(11);
  expect(m('__proto__')).toBe(9);
  expect(m('toString')).toBe(8);
});

import { afterEach, expect, test, vi } from 'vitest';
import { uuid } from '../../src/lib/uuid';

afterEach(() => vi.restoreAllMocks());
const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('v4 UUIDs, also where randomUUID is missing (insecure contexts)', () => {
  expect(uuid()).toMatch(V4);
  vi.spyOn(crypto, 'randomUUID', 'get' as any).mockReturnValue(undefined);
  const ids = Array.from({ length: 200 }, uuid);
  for (const id of ids) expect(id).toMatch(V4);
  expect(new Set(ids).size).toBe(200);
});

import { expect, test } from 'vitest';
import { redactUrl } from '../../src/lib/redactUrl';

test('api-key style parameters with a suffix (api_key_id, apikeyvalue) stay redacted as before', () => {
  expect(redactUrl('https://s.test/?api_key_id=AKIA123&apikeyvalue=xyz')).toBe('https://s.test/?api_key_id=redacted&apikeyvalue=redacted');
});

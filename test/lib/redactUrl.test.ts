import { expect, test } from 'vitest';
import { redactUrl } from '../../src/lib/redactUrl';

test.each([
  ['https://a.test/p?q=shoes', 'https://a.test/p?q=shoes'],
  ['https://a.test/p?password=x&q=1', 'https://a.test/p?password=redacted&q=1'],
  ['https://a.test/p?reset_token=x', 'https://a.test/p?reset_token=redacted'],
  ['https://a.test/p?user_email=a%40b.co', 'https://a.test/p?user_email=redacted'],
  ['https://a.test/p?code=x&state=y', 'https://a.test/p?code=redacted&state=y'],
  ['https://a.test/p?api_key=x&apikey=y&key=z', 'https://a.test/p?api_key=redacted&apikey=redacted&key=redacted'],
  ['https://a.test/p?sid=1&session_id=2', 'https://a.test/p?sid=redacted&session_id=redacted'],
  ['https://a.test/p?card=4111&phone=1', 'https://a.test/p?card=redacted&phone=redacted'],
  ['https://a.test/u/jo.doe@mail.com/x', 'https://a.test/u/redacted/x'],
  ['https://a.test/p?r=jo%40mail.com', 'https://a.test/p?r=redacted'],
  ['https://a.test/cb#access_token=x', 'https://a.test/cb'],
  ['https://a.test/p#section-2', 'https://a.test/p'],
  ['https://a.test/#/cart', 'https://a.test/#/cart'],
  ['https://a.test/#!/cart/7', 'https://a.test/#!/cart/7'],
  ['https://a.test/#/reset?token=x', 'https://a.test/#/reset'],
  ['https://a.test/#/u/jo@mail.com', 'https://a.test/#/u/redacted'],
  ['not a url', ''],
  ['', ''],
])('%s → %s', (input, output) => {
  expect(redactUrl(input)).toBe(output);
});

test('the site can add its own parameters (case-insensitive; pass them lower-cased)', () => {
  expect(redactUrl('https://a.test/?OrderId=7&q=1', ['orderid'])).toBe('https://a.test/?OrderId=redacted&q=1');
});

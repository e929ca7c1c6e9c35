import { expect, test } from 'vitest';
import { mask } from '../../src/lib/mask';

test.each([
  ['jane.doe+x@example.co.uk', '***'],
  ['4111 1111 1111 1111', '***'],
  ['555-123-4567', '***'],
  ['order 12345', 'order 12345'],
  // directText collapses whitespace first; labels, titles and comments are masked as they are.
  ['4111\u00a01111\u00a01111\u00a01111', '***'],
  [Intl.NumberFormat('fr-FR').format(4111111111111111), '***'],
  ['4111  1111\t1111\n1111', '***'],
  // en and em dashes, as typographic sites print groups, with or without spaces around them
  ['4111 – 1111 – 1111 – 1111', '***'],
  ['4111—1111—1111—1111', '***'],
  ['call 0612\u2011345\u2011678', 'call ***'],
  ['rooms 12, 3456', 'rooms 12, 3456'],
  // Dots and slashes group digits too: phones as France and the US print them, dates of
  // birth, IP addresses. Short versions and prices stay.
  ['call 06.12.34.56.78', 'call ***'],
  ['555.123.4567', '***'],
  ['born 12/05/1985', 'born ***'],
  ['from 192.168.100.200', 'from ***'],
  ['v1.2.3, €49.99, 1.299,00 €', 'v1.2.3, €49.99, 1.299,00 €'],
])('%j → %j', (input, output) => {
  expect(mask(input)).toBe(output);
});

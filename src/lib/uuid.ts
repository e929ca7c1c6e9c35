/**
 * A random v4 UUID. `crypto.randomUUID` only exists in secure contexts, so plain-http
 * sites (an intranet, a LAN demo) get the same format from `getRandomValues`.
 */
export const uuid = (): string =>
  crypto.randomUUID?.() ||
  // Each 0/1/8 digit of the template becomes a random hex digit; `8` keeps the variant bits (10xx).
  '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c: any) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16),
  );

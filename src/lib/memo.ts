/**
 * `f` with each key's answer kept: run once per distinct key. Keys take a prefix, so that
 * a key named "constructor" (a glob, a selector) is not Object's member.
 */
export const memo =
  <T>(f: (k: string) => T, m: Record<string, T> = {}) =>
  (k: string): T =>
    (m[' ' + k] ??= f(k));

/**
 * Query parameter names that are always redacted. Substring matches on purpose:
 * `reset_token`, `user_email`, `new_password` are all caught; so are the signatures and
 * credentials of signed URLs (`X-Amz-Signature`, `X-Amz-Credential`, Azure's `sig`), which
 * work as passwords for whoever holds the link. `sessid`: PHP's PHPSESSID, which its trans-sid
 * puts in links for a visitor whose cookies it has not seen (as Java servers do with ;jsessionid=).
 */
const DENY = /pass|pwd|secret|token|auth|e-?mail|sess(ion|id)|^(sid|sig|code)$|key$|api.?key|signature|credential|jwt|ticket|nonce|hmac|ssn|card|phone|otp/i;
// `%` in the local part: an address in a query value is percent-encoded (jane%2Bshop%40…);
// without it only `shop%40…` matched, which left `jane` and a broken `%` escape behind.
// `%2540`: an address encoded twice (a URL in a URL, or a mail tool's link) is one too. At most
// 64 characters before the `@` (an escape counts as one), as an address has: tried from every
// character of a 30 KB value with no `@`, an unbounded run took seconds. A domain's non-ASCII
// letters are escapes from %80 up (jane@bücher.de is jane@b%C3%BCcher.de in a URL); an ASCII
// escape (%26) ends it, as a delimiter does.
const EMAIL = /(?:[\w.+-]|%[\dA-F]{2}){1,64}(@|%(25)*40)(?:[\w-]|%[89A-F]\w){1,63}\.(?:[\w.-]|%[89A-F]\w)+/gi;

/** Whether the query parameter `k` is on the deny-list or the site's own list. */
const denied = (k: string, extra: string[]) => DENY.test(k) || extra.includes(k.toLowerCase());

/**
 * Whether value `v` names a deny-listed parameter, as it reads or decoded again and again: a URL
 * in a URL is encoded once more at each level, or twice at once (a redirect that encodes an
 * encoded `next`), so the levels are not told by its `=`. A `=` ending a run is base64's
 * padding. One split a decoding, not a recursion per `=` (thousands of them ended the stack);
 * past 50 decodings it is taken to.
 */
const hides = (v: string, extra: string[], i = 50): boolean =>
  !i || v.split(/[?&#;/]/).some((p) => p.replace(/=+$/, '').split('=').slice(0, -1).some((n) => denied(n, extra))) || (v != (v = unescape(v)) && hides(v, extra, i - 1));

/**
 * A parameter's value that can hold a URL or a query of its own (next=/reset?token=…, return_to,
 * redirect_uri), with its deny-listed parameters redacted, the rest kept as it reads. A value in
 * it that hides one (see hides) is redacted whole.
 * A name is looked for where a run starts (`d`: the start or a delimiter, put back), not from
 * every character of a 30 KB value, which took seconds. A name starts after a `/` or `;` too: in a
 * path (`/women/cardigans/size=m`, `/list;sort=price`) the words before it are no part of it.
 * Nothing or only `=` after a name hides nothing: that is base64's padding (a cursor `…jWTi==`).
 */
const inner = (v: string, extra: string[]): string =>
  v.replace(/(^|[?&=#;/])([^?&=#;/]+)=([^&#]*)/g, (m, d, n, x) => ((denied(n, extra) || hides(x, extra)) && /[^=]/.test(x) ? d + n + '=redacted' : m));

/**
 * Returns `url` without a user name or password, with deny-listed query values replaced by
 * `redacted` (also inside another parameter's value, at any depth) and any email address
 * masked. The fragment is dropped, because OAuth and magic-link flows put tokens there,
 * except for a hash-router route (`#/cart`, `#!/cart`), which is kept up to any `?`.
 * Returns '' for anything that is not a URL.
 */
export function redactUrl(url: string, extra: string[] = []): string {
  try {
    const u = new URL(url);
    // https://user:password@host/: credentials in the URL itself.
    u.username = u.password = '';
    // A segment of the path or of a hash-router route that hides a deny-listed parameter (a
    // redirector's /go/https%3A%2F%2F…%3Fticket%3D…, see hides) goes whole.
    const seg = (s: string) => s.replace(/[^/]+/g, (p) => (hides(p.replace(/=redacted/g, ''), extra) ? 'redacted' : p));
    u.hash = seg(/^#!?\/[^?&=]*/.exec(u.hash)?.[0] || '');
    // A path parameter (/cart;jsessionid=…, from Java servers) is read as a query is.
    u.pathname = seg(inner(u.pathname, extra));
    // A name may hide one too: a query that is an encoded URL with no name of its own (a redirector's
    // /go?https%3A%2F%2F…%3Fticket%3D…) is the name, its value empty. It goes, for `redacted`.
    const q = u.searchParams;
    for (const k of [...q.keys()]) if (hides(k, extra)) q.delete(k), q.append('redacted', '');
    q.forEach((v, k) => {
      // Only a changed value is set again: set() re-encodes the whole query, and a URL with
      // nothing to hide is left exactly as it was.
      // What it does not redact as it reads (past a `#`, no `name=` until decoded) may hide a
      // parameter once decoded (see hides): read without the values it redacted.
      let w = inner(v, extra);
      if (denied(k, extra) || hides(w.replace(/=redacted/g, ''), extra)) w = 'redacted';
      if (w != v) q.set(k, w);
    });
    return u.href.replace(EMAIL, 'redacted');
  } catch {
    return '';
  }
}

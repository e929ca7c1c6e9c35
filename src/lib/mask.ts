/**
 * `s` with emails and runs of 6+ digits (cards, phones, ids, dates of birth, IP addresses)
 * replaced by `***`. Any whitespace, dots, slashes and dashes may stand between the digits
 * (`06.12.34.56.78` and `555.123.4567` are phone numbers too): labels, titles and comments are
 * masked as they are, without directText's whitespace collapsing, and sites group digits
 * with no-break spaces (U+00A0; U+202F from Intl.NumberFormat('fr-FR'), which `\s` covers),
 * non-breaking hyphens and en or em dashes (U+2010-U+2015), spaced or not (`4111 – 1111`).
 * Mask BEFORE truncating, so a cut can never leave half an email behind. (The digit run's
 * group captures only because `(...)` is shorter than `(?:...)`; the replacement does not use it.)
 */
export const mask = (s: string): string => s.replace(/[\w.+-]+@[\w-]+\.[\w.-]+/g, '***').replace(/\d([\s./\u2010-\u2015-]*\d){5,}/g, '***');

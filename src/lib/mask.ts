/**
 * `s` with emails and runs of 6+ digits (cards, phones, ids; spaces and dashes between
 * digits allowed) replaced by `***`. Mask BEFORE truncating, so a cut can never leave
 * half an email behind. (The digit run's group captures only because `(...)` is shorter than
 * `(?:...)`; the replacement does not use it.)
 */
export const mask = (s: string): string => s.replace(/[\w.+-]+@[\w-]+\.[\w.-]+/g, '***').replace(/\d([ -]?\d){5,}/g, '***');

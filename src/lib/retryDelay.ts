/**
 * Milliseconds to wait before retry number `attempt` (1-based): exponential from 1 s up
 * to 5 min, with ±50% jitter so that many browsers recovering from one outage do not
 * retry in step. A `Retry-After` header (seconds or an HTTP date) is a floor, capped at
 * one hour so a bad header cannot park the queue for days.
 */
export function retryDelay(attempt: number, retryAfter?: string | null): number {
  let ms = Math.min(3e5, 500 * 2 ** attempt) * (0.5 + Math.random());
  if (retryAfter) {
    const after = +retryAfter >= 0 ? +retryAfter * 1e3 : Date.parse(retryAfter) - Date.now();
    if (after > ms) ms = Math.min(after, 36e5);
  }
  return ms;
}

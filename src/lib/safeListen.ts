/**
 * A passive capture listener, with the handler's failures swallowed: a DOM oddity in the
 * host page (a clobbered form property, a foreign element) must never surface in its
 * `window.onerror`. Capture, so that it sees events the page stops from propagating;
 * passive, so that it never delays scrolling. Returns its removal.
 */
export const safeListen = (target: EventTarget, type: string, fn: (event: any) => void): (() => void) => {
  const h = (e: Event) => {
    try {
      fn(e);
    } catch {}
  };
  target.addEventListener(type, h, { capture: true, passive: true });
  // Removal matches on the capture flag alone (passive plays no part), so `true` removes it.
  return () => target.removeEventListener(type, h, true);
};

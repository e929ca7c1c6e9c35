import { listen } from './listen';

/**
 * `listen`, with the handler's failures swallowed: a DOM oddity in the host page (a
 * clobbered form property, a foreign element) must never surface in its `window.onerror`.
 */
export function safeListen(
  target: EventTarget,
  type: string,
  fn: (event: any) => void,
  options?: AddEventListenerOptions | boolean,
): () => void {
  return listen(
    target,
    type,
    (e) => {
      try {
        fn(e);
      } catch {}
    },
    options,
  );
}

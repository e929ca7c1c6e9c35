/** addEventListener that returns its own removal, so every "on" has its "off". */
export function listen(
  target: EventTarget,
  type: string,
  fn: (event: any) => void,
  options: AddEventListenerOptions | boolean = true,
): () => void {
  target.addEventListener(type, fn, options);
  return () => target.removeEventListener(type, fn, options);
}

/** The nearest element (itself or an ancestor) that a user would think of as "clickable", or null. */
export function actionable(el: Element): Element | null {
  return el.closest('a,button,[role=button],input[type=submit],input[type=button],label,summary,[data-waymark-event]');
}

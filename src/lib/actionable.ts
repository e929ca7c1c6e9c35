/** Form fields: what they hold is the forms module's business, never a click's. */
export const FIELDS = 'input,select,textarea,option';

/**
 * The nearest element (itself or an ancestor) that a user would think of as "clickable", or
 * null. Also null for a field inside such an element (a label forwards its click to its
 * field) and for anything in an editor (contenteditable): what they hold is the user's own
 * text, and describing them could describe a password field.
 */
export const actionable = (el: Element | null): Element | null | undefined => {
  // Undefined for no element (a click's path with no shadow root has no path[i]).
  const a = el?.closest('a,button,[role=button],input[type=submit],input[type=button],label,summary,[data-waymark-event]');
  return (el as HTMLElement | null)?.isContentEditable || (a != el && el!.matches(FIELDS)) ? null : a;
};

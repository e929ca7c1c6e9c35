/** Form fields: what they hold is the forms module's business, never a click's. */
export const FIELDS = 'input,select,textarea,option';

/**
 * The nearest element (itself or an ancestor, in its own tree) that a user would think of as
 * "clickable", or null. False for a field inside such an element (a label forwards its click
 * to its field) and for anything in an editor (contenteditable): what they hold is the
 * user's own text, and describing them could describe a password field. (False, not null:
 * the clicks module stops there, where it would look further out for a clickable.)
 */
export const actionable = (el: Element): Element | null | false => {
  const a = el.closest('a,button,[role=button],[role=link],[role=tab],[role^=menuitem],input[type=submit],input[type=button],label,summary,[data-waymark-event]');
  // In an editor: editable, or in a non-editable island in one (a mention chip, an embedded card:
  // contenteditable="false"), which is still the user's message.
  return !el.closest('[contenteditable]:not([contenteditable=false])') && (a == el || !el.matches(FIELDS)) && a;
};

/**
 * True for fields Waymark must never describe: passwords, hidden inputs, and anything
 * that looks like payment or identity data, by `autocomplete="cc-*"` or by a name or id
 * such as card, cc, cvv, cvc, iban, ssn. Deliberately broad: a false positive only loses
 * a field name.
 */
export function isSensitive(el: Element): boolean {
  return /^(password|hidden)$/.test((el as HTMLInputElement).type) || /card|cvv|cvc|csc|iban|ssn|(^|[\W_])cc/i.test(
    el.getAttribute('autocomplete') + ' ' + el.getAttribute('name') + ' ' + el.getAttribute('id'),
  );
}

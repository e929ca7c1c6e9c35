/**
 * True for fields Waymark must never describe: passwords, hidden inputs, and anything
 * that looks like a secret, payment or identity data, by `autocomplete` (`cc-*`,
 * `current-password`, `new-password`, `one-time-code`) or by a name or id such as
 * password, pwd, card, cc, cvv, cvc, iban, ssn. Names count as well as the type, because a
 * "show password" toggle turns a password field into `type="text"`. Deliberately broad:
 * a false positive only loses a field name.
 */
export const isSensitive = (el: Element): boolean =>
  /^(password|hidden)$/.test((el as HTMLInputElement).type) || /pass|pwd|one-time-code|card|cvv|cvc|csc|iban|ssn|(^|[\W_])cc/i.test(
    el.getAttribute('autocomplete') + ' ' + el.getAttribute('name') + ' ' + el.getAttribute('id'),
  );

/**
 * True for fields Waymark must never describe: passwords, hidden inputs, and anything
 * that looks like a secret, payment or identity data, by `autocomplete` (`cc-*`,
 * `current-password`, `new-password`, `one-time-code`) or by a name or id such as
 * password, pwd, card, cc, cvv, cvc, iban, ssn. Names count as well as the type, because a
 * "show password" toggle turns a password field into `type="text"`. Deliberately broad:
 * a false positive only loses a field name.
 */
export const isSensitive = (el: Element): boolean =>
  /^(password|hidden)$/.test((el as HTMLInputElement).type) ||
  /pass|pwd|one-time-code|card|cvv|cvc|csc|iban|ssn|(^|[\W_])cc/i.test(
    el.getAttribute('autocomplete') + ' ' + el.getAttribute('name') + ' ' + el.getAttribute('id'),
  ) ||
  // Shaped like a card number, whatever its name (numero, kaart, tarjeta): a numeric keypad
  // (inputmode numeric, or type tel, an old trick for one) and room for 16+ characters
  // (16-19 digits, with spaces up to 23). A phone field has no such maxlength, mostly.
  ((el as HTMLInputElement).maxLength > 15 && /numeric|tel/.test(el.getAttribute('inputmode') + (el as HTMLInputElement).type));

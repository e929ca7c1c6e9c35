// A three-step checkout in one form. Each step is a [data-waymark-step] section; the
// browser's own constraint validation (required, pattern) checks a step before moving on,
// and each failing field fires an `invalid` event, which Waymark reports as Form Field Invalid
// (the field's name, never its value). The final submit is validated by the browser too, so a
// rejected attempt fires `invalid` events and no `submit` (no false Form Submitted).
(function () {
  var PLANS = { taster: ['Taster', 12], regular: ['Regular', 22], roaster: ['Roaster', 38] };
  var plan = new URLSearchParams(location.search).get('plan');
  if (!PLANS[plan]) plan = 'regular';
  document.getElementById('plan-name').textContent = PLANS[plan][0];
  document.getElementById('plan-price').textContent = '€' + PLANS[plan][1];

  var form = document.getElementById('checkout');
  var steps = Array.prototype.slice.call(form.querySelectorAll('[data-waymark-step]'));
  var current = 0;

  function show(i) {
    steps.forEach(function (s, j) {
      s.hidden = j != i;
    });
    document.querySelectorAll('#stepper li').forEach(function (li, j) {
      if (j == i) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
      li.classList.toggle('done', j < i);
    });
    current = i;
    var first = steps[i].querySelector('input, select');
    if (first) first.focus();
  }

  /** Checks every field of a step; checkValidity() fires `invalid` on each one that fails. */
  function valid(step) {
    var ok = true;
    step.querySelectorAll('input, select').forEach(function (f) {
      if (!f.checkValidity()) ok = false;
    });
    if (!ok) {
      form.classList.add('was-validated');
      var bad = step.querySelector(':invalid');
      if (bad) bad.reportValidity();
    }
    return ok;
  }

  form.addEventListener('click', function (e) {
    var t = e.target;
    if (t.closest('[data-next]') && valid(steps[current])) show(current + 1);
    if (t.closest('[data-back]')) show(current - 1);
  });

  // The coupon service is "down": the button does nothing, which is what rage clicks look like.
  document.getElementById('apply-coupon').addEventListener('click', function () {});

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (!valid(steps[current])) return;
    var order = {
      id: 'NB-' + Math.random().toString(36).slice(2, 8).toUpperCase(),
      plan: plan,
      total: PLANS[plan][1],
      at: new Date().toISOString(),
    };
    // The shop's own order history; the confirmation page reports the order to Waymark once.
    try {
      var orders = JSON.parse(localStorage.getItem('nb_orders') || '[]');
      orders.push(order);
      localStorage.setItem('nb_orders', JSON.stringify(orders));
      sessionStorage.setItem('nb_new_order', JSON.stringify(order));
    } catch (err) {}
    location.assign('/confirmation?order=' + order.id);
  });
})();

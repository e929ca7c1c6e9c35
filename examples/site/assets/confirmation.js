// The thank-you page reports the order (once, not on every reload) and asks for a CSAT
// score, which Waymark ties to the visitor's current journey stage.
(function () {
  var order = null;
  try {
    order = JSON.parse(sessionStorage.getItem('nb_new_order') || 'null');
    sessionStorage.removeItem('nb_new_order');
  } catch (err) {}
  if (order) {
    document.getElementById('order-line').textContent =
      'Order ' + order.id + ' · ' + order.plan + ' plan · €' + order.total + ' a month. Your first bag ships within a week.';
    var customer = localStorage.getItem('nb_customer');
    if (!customer) {
      customer = 'cus_' + Math.random().toString(36).slice(2, 10);
      localStorage.setItem('nb_customer', customer);
    }
    waymark('identify', customer, { plan: order.plan });
    waymark('track', 'Order Completed', { orderId: order.id, plan: order.plan, revenue: order.total, currency: 'EUR' });
  }

  var score = 0;
  var buttons = document.querySelectorAll('#csat [data-score]');
  var send = document.getElementById('send-feedback');
  buttons.forEach(function (b) {
    b.addEventListener('click', function () {
      score = +b.getAttribute('data-score');
      buttons.forEach(function (x) {
        x.setAttribute('aria-pressed', String(x == b));
      });
      send.disabled = false;
    });
  });
  send.addEventListener('click', function () {
    if (!score) return;
    var comment = document.querySelector('#csat textarea').value.trim();
    waymark('feedback', { score: score, scale: 'csat', comment: comment || undefined });
    send.disabled = true;
    document.getElementById('feedback-thanks').hidden = false;
  });
})();

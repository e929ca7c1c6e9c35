// The account area: the shop's own order history, a reorder button (repeat purchases move
// a customer to the loyalty stage), an NPS question, and sign-out, which resets Waymark's ids.
(function () {
  var orders = [];
  try {
    orders = JSON.parse(localStorage.getItem('nb_orders') || '[]');
  } catch (err) {}
  var body = document.querySelector('#orders tbody');
  orders
    .slice()
    .reverse()
    .forEach(function (o) {
      var tr = document.createElement('tr');
      [o.id, o.plan, '€' + o.total, new Date(o.at).toLocaleDateString()].forEach(function (v) {
        var td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  document.getElementById('no-orders').hidden = orders.length > 0;
  if (orders.length) {
    var reorder = document.getElementById('reorder');
    reorder.href = '/checkout?plan=' + encodeURIComponent(orders[orders.length - 1].plan);
    reorder.hidden = false;
    waymark('track', 'Orders Viewed', { count: orders.length });
  }

  var nps = document.getElementById('nps');
  if (orders.length && !localStorage.getItem('nb_nps')) {
    nps.hidden = false;
    var scale = nps.querySelector('.scale');
    for (var i = 0; i <= 10; i++) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = String(i);
      b.setAttribute('data-score', String(i));
      scale.appendChild(b);
    }
    scale.addEventListener('click', function (e) {
      var b = e.target.closest('[data-score]');
      if (!b) return;
      waymark('feedback', { score: +b.getAttribute('data-score'), scale: 'nps' });
      localStorage.setItem('nb_nps', '1');
      scale.hidden = true;
      document.getElementById('nps-thanks').hidden = false;
    });
  }

  document.getElementById('sign-out').addEventListener('click', function () {
    localStorage.removeItem('nb_customer');
    localStorage.removeItem('nb_orders');
    localStorage.removeItem('nb_nps');
    waymark('reset');
    location.assign('/');
  });
})();

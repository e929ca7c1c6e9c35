// What every page of the shop shares: the current nav link, and personalisation by
// journey stage. The stage is known in the browser, so the page can react the moment it
// changes, which a server-side funnel cannot do.
(function () {
  var here = location.pathname.replace(/\.html$/, '').replace(/\/$/, '') || '/';
  document.querySelectorAll('.site-nav a').forEach(function (a) {
    if (a.getAttribute('href') == here) a.setAttribute('aria-current', 'page');
  });

  var LABELS = {
    awareness: 'Welcome! Have a look around.',
    consideration: 'Comparing plans? The table on Pricing shows every difference.',
    decision: 'Nearly there: checkout takes about a minute.',
    purchase: 'Thank you for your order!',
    post_purchase: 'Thanks for the feedback. Your orders live under Account.',
    loyalty: 'Welcome back, regular! Free shipping is on us from now on.',
  };

  waymark('on', 'stage', function (change) {
    var badge = document.getElementById('journey-stage');
    if (badge) badge.textContent = change.stage.replace('_', ' ');
    var toast = document.getElementById('stage-toast');
    if (!toast) {
      toast = document.createElement('div');
      toast.id = 'stage-toast';
      toast.className = 'stage-toast';
      toast.setAttribute('role', 'status');
      document.body.appendChild(toast);
    }
    toast.textContent = LABELS[change.stage] || 'Journey stage: ' + change.stage;
    toast.hidden = false;
    clearTimeout(toast._t);
    toast._t = setTimeout(function () {
      toast.hidden = true;
    }, 4000);
    // A visitor who starts considering on the product list gets pointed at the comparison.
    var nudge = document.getElementById('compare-nudge');
    if (nudge && change.stage == 'consideration') nudge.hidden = false;
  });
})();

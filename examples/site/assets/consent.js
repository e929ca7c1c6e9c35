// The shop's cookie banner. Waymark itself stores nothing and sends nothing until it is told
// consent was given; remembering the visitor's choice is the site's job, as with any
// consent tool. This shop keeps it in a first-party cookie and replays it on every page.
// Loaded after the waymark stub and before the SDK, so the call is queued and runs first.
(function () {
  var COOKIE = 'nb_consent';
  var saved = document.cookie.match(/(?:^|;\s*)nb_consent=(granted|denied)/);

  function remember(choice) {
    document.cookie = COOKIE + '=' + choice + '; Path=/; Max-Age=15552000; SameSite=Lax';
    waymark('consent', choice);
  }

  function banner() {
    if (document.getElementById('consent')) return;
    var box = document.createElement('div');
    box.id = 'consent';
    box.className = 'consent';
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-label', 'Cookies and analytics');
    var text = document.createElement('p');
    text.textContent =
      'We use privacy-friendly analytics (Waymark) to see which parts of the shop help you and where you get stuck. ' +
      'Nothing is stored or sent unless you accept.';
    box.appendChild(text);
    [['Accept', 'granted', 'btn'], ['Decline', 'denied', 'btn secondary']].forEach(function (b) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = b[2];
      button.textContent = b[0];
      button.setAttribute('data-consent', b[1]);
      button.addEventListener('click', function () {
        remember(b[1]);
        box.remove();
      });
      box.appendChild(button);
    });
    document.body.appendChild(box);
  }

  if (saved) waymark('consent', saved[1]);
  else document.addEventListener('DOMContentLoaded', banner);

  // "Cookie settings" in the footer reopens the banner; declining then revokes consent,
  // and Waymark deletes its queue, ids and stage.
  document.addEventListener('click', function (e) {
    if (e.target && e.target.closest && e.target.closest('[data-cookie-settings]')) banner();
  });
})();

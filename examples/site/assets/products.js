// Tasting notes on the product list: small interactions that show up as Element Clicked.
(function () {
  var NOTES = {
    kiambu: 'Bright and juicy. Best as a pour-over.',
    huila: 'Sweet and round. Great as espresso or filter.',
    sidama: 'Fruity and floral. Try it as a cold brew.',
    cerrado: 'Nutty and mellow. Made for milk drinks.',
  };
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-details]');
    if (b) document.getElementById('details').textContent = NOTES[b.getAttribute('data-details')] || '';
  });
})();

// The benchmark page: a small shop with a nav bar, a hero, 24 product cards, a checkout form
// and a footer (about 400 elements). Internal links are hash routes and the page's own
// "router" prevents their default action, so clicks never leave the page. Most clicks
// change the DOM (cart badge, active link, expanded card), as a real page's would, so
// frustration detectors do not see them all as dead clicks.

const products = Array.from({ length: 24 }, (_, i) => ({
  id: i + 1,
  name: ['Trail', 'Summit', 'Ridge', 'Canyon', 'Harbor', 'Meadow'][i % 6] + ' ' + ['Pack', 'Jacket', 'Boot', 'Tent'][i % 4],
  price: (19 + ((i * 37) % 180)).toFixed(2),
  plan: ['basic', 'pro', 'team'][i % 3],
}));

const nav = ['Home', 'Shop', 'Pricing', 'Compare', 'Blog', 'Support', 'About', 'Account']
  .map((n) => `<li><a href="#/${n.toLowerCase()}" class="nav-link" data-bench-target>${n}</a></li>`)
  .join('');

const card = (p) => `
    <article class="card" data-plan="${p.plan}" id="product-${p.id}">
      <div class="thumb" role="img" aria-label="${p.name}"></div>
      <h3 class="card-title" data-bench-target>${p.name}</h3>
      <p class="desc">Lightweight, weatherproof and built to last. <span class="tag">${p.plan}</span></p>
      <div class="row"><span class="price">$${p.price}</span>
        <span class="stars" aria-label="4 out of 5">★★★★☆</span></div>
      <div class="actions">
        <button type="button" class="add" data-product="${p.id}" data-bench-target>Add to cart</button>
        <a href="#/product/${p.id}" class="details" data-bench-target>Details</a>
      </div>
    </article>`;

const footer = ['Careers', 'Press', 'Privacy', 'Terms', 'Cookies', 'Shipping', 'Returns', 'Warranty', 'Gift cards', 'Stores', 'Affiliates', 'Contact']
  .map((n) => `<li><a href="#/${n.toLowerCase().replace(' ', '-')}" data-bench-target>${n}</a></li>`)
  .join('');

export const pageHtml = () => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Benchmark shop</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
  header, footer { background: #f4f4f4; padding: 12px 24px; }
  nav ul, footer ul { display: flex; gap: 16px; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
  .nav-link.active { font-weight: bold; }
  .hero { padding: 32px 24px; background: #eef; }
  .grid { display: grid; grid-template-columns: repeat(4, 1fr); gap: 16px; padding: 24px; }
  .card { border: 1px solid #ddd; border-radius: 8px; padding: 12px; }
  .card.open { outline: 2px solid #88f; }
  .thumb { height: 60px; background: linear-gradient(135deg, #cde, #eef); border-radius: 4px; }
  .row, .actions { display: flex; justify-content: space-between; align-items: center; margin-top: 8px; }
  form { padding: 24px; display: grid; grid-template-columns: 200px 300px; gap: 8px; }
</style>
</head>
<body>
<header>
  <nav aria-label="Main"><ul>${nav}
    <li><input type="search" name="q" placeholder="Search" aria-label="Search" data-bench-target></li>
    <li>Cart <span id="cart-count">0</span></li></ul></nav>
</header>
<main>
  <section class="hero">
    <h1 data-bench-target>Gear for every trail</h1>
    <p>Free shipping over $50. Thirty-day returns.</p>
    <button type="button" id="cta" data-bench-target>Shop the sale</button>
  </section>
  <section class="grid" aria-label="Products">${products.map(card).join('')}
  </section>
  <section aria-label="Checkout">
    <h2>Checkout</h2>
    <form id="checkout" action="#/thanks" method="post">
      <label for="f-name">Name</label><input id="f-name" name="name" autocomplete="name" required data-bench-target>
      <label for="f-email">Email</label><input id="f-email" name="email" type="email" required data-bench-target>
      <label for="f-address">Address</label><input id="f-address" name="address" data-bench-target>
      <label for="f-city">City</label><input id="f-city" name="city" data-bench-target>
      <label for="f-zip">Postcode</label><input id="f-zip" name="zip" inputmode="numeric" data-bench-target>
      <label for="f-country">Country</label><select id="f-country" name="country" data-bench-target>
        <option>France</option><option>Germany</option><option>Spain</option><option>United Kingdom</option></select>
      <label><input type="checkbox" name="news" data-bench-target> Newsletter</label><span></span>
      <button type="submit">Place order</button>
    </form>
  </section>
</main>
<footer><ul>${footer}</ul><p>© Benchmark Shop</p></footer>
<script src="/harness.js"></script>
</body>
</html>`;

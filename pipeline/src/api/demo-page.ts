/**
 * A small page the API serves at `/demo/events`: it shows one SKU's available to sell on one
 * channel and follows it live with the browser's own `EventSource`. Parameters come from the URL
 * fragment (never sent to the server): `#channel=webshop&sku=SKU-000042&key=<API key>`. It reads
 * the current value with `GET /v1/channels/{channel}/availability/{sku}`, subscribes to
 * `/v1/channels/{channel}/events?key=…`, and reads again on a `reset` event. Element ids for
 * scripts and tests: `quantity`, `version`, `status`, `events` (count of availability events of
 * the SKU).
 */
export const demoPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>stocksync — live availability</title>
<style>body{font:16px system-ui,sans-serif;margin:2rem}#quantity{font-size:3rem;font-weight:bold}</style>
</head>
<body>
<h1>Available to sell: <span id="sku"></span> on <span id="channel"></span></h1>
<p><span id="quantity">…</span> units (version <span id="version">…</span>)</p>
<p>status: <span id="status">starting</span>; events for this SKU: <span id="events">0</span></p>
<script>
const params = new URLSearchParams(location.hash.slice(1));
const channel = params.get('channel'), sku = params.get('sku'), key = params.get('key');
const $ = (id) => document.getElementById(id);
$('sku').textContent = sku; $('channel').textContent = channel;
let version = -1, events = 0;
function show(quantity, v) {
  if (v < version) return;
  version = v; $('quantity').textContent = String(quantity); $('version').textContent = String(v);
}
async function load() {
  const res = await fetch('/v1/channels/' + encodeURIComponent(channel) + '/availability/' + encodeURIComponent(sku), { headers: { authorization: 'Bearer ' + key } });
  if (!res.ok) { $('status').textContent = 'error ' + res.status; return; }
  const a = await res.json();
  show(a.quantity, a.version);
}
const source = new EventSource('/v1/channels/' + encodeURIComponent(channel) + '/events?key=' + encodeURIComponent(key));
source.addEventListener('ready', () => { $('status').textContent = 'live'; load(); });
source.addEventListener('reset', () => { load(); });
source.addEventListener('availability', (e) => {
  const c = JSON.parse(e.data);
  if (c.sku !== sku) return;
  events += 1; $('events').textContent = String(events);
  show(c.quantity, c.version);
});
source.onerror = () => { $('status').textContent = 'reconnecting'; };
</script>
</body>
</html>
`;

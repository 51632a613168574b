import * as ort from './ort.wasm.min.mjs';

ort.env.wasm.wasmPaths = new URL('./', import.meta.url).href;  // this folder, nothing from outside
ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(2, navigator.hardwareConcurrency || 1) : 1;
const $ = (id) => document.getElementById(id);
const state = { session: null, styles: [], weights: [], busy: false, again: false, lastMs: null };

function stylesOf(bytes, count) {  // the JSON list stored by nst-course export in metadata_props
  const key = new TextEncoder().encode('nst_course_styles');
  outer: for (let i = 0; i + key.length < bytes.length; i++) {
    for (let j = 0; j < key.length; j++) if (bytes[i + j] !== key[j]) continue outer;
    let k = i + key.length;
    if (bytes[k++] !== 0x12) continue;
    let len = 0, shift = 0, b;
    do { b = bytes[k++]; len |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    try { return JSON.parse(new TextDecoder().decode(bytes.subarray(k, k + len))); } catch (e) { break; }
  }
  return Array.from({ length: count }, (_, i) => `style ${i + 1}`);
}

async function loadNet(bytes, name) {
  $('status').textContent = `Loading ${name}...`;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const dims = session.inputMetadata?.[1]?.shape;
  const count = Array.isArray(dims) && typeof dims[1] === 'number' ? dims[1] : 2;
  state.session = session;
  state.styles = stylesOf(bytes, count);
  state.weights = state.styles.map((_, i) => (i === 0 ? 1 : 0));
  makeMixer();
  $('status').textContent = `${name}: styles ${state.styles.join(', ')}; ${ort.env.wasm.numThreads} thread(s).`;
}

function makeMixer() {
  const box = $('mixer'); box.textContent = '';
  const s = state.styles;
  if (s.length === 2) {
    box.innerHTML = `<label for="mix">Mix:</label> ${s[0]} <input type="range" id="mix" min="0" max="100" value="0"> ${s[1]}`;
    $('mix').addEventListener('input', (e) => { const t = e.target.value / 100; state.weights = [1 - t, t]; stylize(); });
  } else {
    s.forEach((name, i) => {
      const l = document.createElement('label');
      l.innerHTML = `${name} <input type="range" min="0" max="100" value="${i === 0 ? 100 : 0}">`;
      l.querySelector('input').addEventListener('input', (e) => { state.weights[i] = e.target.value / 100; stylize(); });
      box.appendChild(l);
    });
  }
}

async function showPhoto(blob) {
  const bitmap = await createImageBitmap(blob);
  const long = Number($('size').value), f = Math.min(1, long / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(16, Math.floor(bitmap.width * f / 4) * 4), h = Math.max(16, Math.floor(bitmap.height * f / 4) * 4);
  const c = $('input'); c.width = w; c.height = h;
  c.getContext('2d').drawImage(bitmap, 0, 0, w, h);
  await stylize();
}

async function stylize() {
  const c = $('input');
  if (!state.session || !c.width) return;
  if (state.busy) { state.again = true; return; }
  state.busy = true;
  try {
    const { width: w, height: h } = c, px = c.getContext('2d').getImageData(0, 0, w, h).data;
    const x = new Float32Array(3 * w * h);
    for (let i = 0; i < w * h; i++) for (let ch = 0; ch < 3; ch++) x[ch * w * h + i] = px[4 * i + ch] / 255;
    const ws = state.weights.some((v) => v > 0) ? state.weights : state.weights.map(() => 1);
    const total = ws.reduce((a, b) => a + b, 0);
    const feeds = { photo: new ort.Tensor('float32', x, [1, 3, h, w]),
                    style: new ort.Tensor('float32', Float32Array.from(ws), [1, ws.length]) };
    const t0 = performance.now();
    const { image } = await state.session.run(feeds);
    const ms = performance.now() - t0;
    const out = $('output'); out.width = w; out.height = h;
    const ctx = out.getContext('2d'), img = ctx.createImageData(w, h), y = image.data;
    for (let i = 0; i < w * h; i++) {
      for (let ch = 0; ch < 3; ch++) img.data[4 * i + ch] = Math.round(y[ch * w * h + i] * 255);
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    state.lastMs = ms;
    $('status').textContent = `${w}x${h} in ${ms.toFixed(0)} ms (${ort.env.wasm.numThreads} thread(s); ` +
      state.styles.map((n, i) => `${n} ${(ws[i] / total).toFixed(2)}`).join(', ') + ')';
    $('download').disabled = false;
    document.body.dataset.done = String((Number(document.body.dataset.done) || 0) + 1);
  } catch (e) {
    $('status').textContent = `Could not stylize: ${e.message || e}`;
  } finally {
    state.busy = false;
    if (state.again) { state.again = false; stylize(); }
  }
}

$('photo').addEventListener('change', (e) => e.target.files[0] && showPhoto(e.target.files[0]));
$('size').addEventListener('change', () => state.photo && showPhoto(state.photo));
$('photo').addEventListener('change', (e) => { state.photo = e.target.files[0]; });
$('net').addEventListener('change', async (e) => {
  const f = e.target.files[0];
  if (!f) return;
  try { await loadNet(new Uint8Array(await f.arrayBuffer()), f.name); await stylize(); }
  catch (err) { $('status').textContent = `${f.name} is not a network from nst-course export (${err.message || err}).`; }
});
$('download').addEventListener('click', () => $('output').toBlob((b) => {
  const a = document.createElement('a'); a.href = URL.createObjectURL(b); a.download = 'stylized.png'; a.click();
}));
window.nstTry = state;
try {
  const bytes = new Uint8Array(await (await fetch('fast_net.onnx')).arrayBuffer());
  await loadNet(bytes, 'the bundled network');
  const sample = await (await fetch('sample.jpg')).blob();
  state.photo = sample;
  await showPhoto(sample);
} catch (e) {
  $('status').textContent = location.protocol === 'file:'
    ? 'This page needs a web server: run `nst-course serve site` and open the address it prints.'
    : `Could not load the network: ${e.message || e}`;
}
document.body.dataset.ready = '1';

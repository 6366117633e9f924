// Small helpers shared by pages: chart/table toggles and CSV download of a table.
// A cell a spreadsheet would run as a formula (= + - @ tab CR, not a number) gets a leading ' (as
// bilim/exchange/safecell.py does for the server's exports).
function bilimSafeCell(text) {
  const body = text.replace(/^'+/, '');
  return /^[=+\-@\t\r]/.test(body) && !/^[+-]?(\d[\d\s\u00a0\u202f.,]*|[.,]\d+)([eE][+-]?\d+)?\s*%?$/.test(text)
    ? "'" + text : text;
}
function bilimTableCsv(tableId, filename) {
  const rows = [...document.querySelectorAll('#' + tableId + ' tr')].map(tr =>
    [...tr.querySelectorAll('th,td')].map(c => '"' + bilimSafeCell(c.innerText).replace(/"/g, '""') + '"').join(','));
  const blob = new Blob(["\ufeff" + rows.join('\n')], {type: 'text/csv'});
  const a = document.createElement('a'); a.href = URL.createObjectURL(blob); a.download = filename; a.click();
}
function bilimToggle(chartId, tableId) {
  const c = document.getElementById(chartId), t = document.getElementById(tableId);
  const showTable = t.hidden; t.hidden = !showTable; c.hidden = showTable;
  if (!showTable) { const inst = echarts.getInstanceByDom(c); if (inst) inst.resize(); }
}
window.addEventListener('resize', () => document.querySelectorAll('.chart').forEach(el => {
  const inst = window.echarts && echarts.getInstanceByDom(el); if (inst) inst.resize(); }));

// Charts: one call per chart; the instance follows the page language for number formats.
function bilimLang() { return document.documentElement.lang || 'kk'; }
function bilimNarrow() { return window.innerWidth < 640; }
function bilimFmt(v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return Number(v).toLocaleString(bilimLang() === 'en' ? 'en-GB' : bilimLang() + '-KZ',
    {minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0});
}
function bilimEsc(s) {
  return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g,
    c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}
// Axis defaults that keep narrow (phone) charts legible: value-axis labels that would collide are
// dropped, and category labels wrapped onto two lines get a line height that keeps the lines apart.
function bilimAxisDefaults(axes) {
  (Array.isArray(axes) ? axes : (axes ? [axes] : [])).forEach(a => {
    a.axisLabel = a.axisLabel || {};
    if (a.type === 'value' && a.axisLabel.hideOverlap === undefined) a.axisLabel.hideOverlap = true;
    if (a.axisLabel.overflow === 'break' && a.axisLabel.lineHeight === undefined) a.axisLabel.lineHeight = 14;
  });
}
function bilimChart(id, option) {
  const el = document.getElementById(id);
  if (!el || !window.echarts) return null;
  const inst = echarts.getInstanceByDom(el) || echarts.init(el);
  bilimAxisDefaults(option.xAxis);
  bilimAxisDefaults(option.yAxis);
  option.animation = option.animation === undefined ? !window.navigator.webdriver : option.animation;
  option.textStyle = Object.assign({fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif'},
                                   option.textStyle || {});
  inst.setOption(option, true);
  el.dataset.ready = '1';
  return inst;
}
// Kazakhstan's regions (amCharts geodata, features keyed by ISO code), fetched once per page.
// bilimKzMap(cb) gives cb the map name 'KZ'; bilimKzMap(cb, 'KZ-75') a map of that region alone.
let bilimGeoPromise = null;
function bilimKzMap(callback, focus) {
  if (!bilimGeoPromise) {
    bilimGeoPromise = fetch(window.BILIM_GEO_URL).then(r => r.json()).then(geo => {
      geo.features.forEach(f => { f.properties.name = f.id || f.properties.id; });
      echarts.registerMap('KZ', geo);
      return geo;
    });
  }
  return bilimGeoPromise.then(geo => {
    let name = 'KZ';
    const one = focus && geo.features.filter(f => f.properties.name === focus);
    if (one && one.length) {
      name = 'KZ:' + focus;
      if (!echarts.getMap(name)) echarts.registerMap(name, {type: 'FeatureCollection', features: one});
    }
    return callback(name);
  });
}
// Width kept for category labels on horizontal bar charts (names of regions and bodies are long).
function bilimLabelWidth() { return bilimNarrow() ? 110 : 250; }
// Click a header of table.sortable to sort by that column (numbers by data-v, else by text).
function bilimSortable(tableId) {
  const table = document.getElementById(tableId);
  if (!table) return;
  table.querySelectorAll('thead th').forEach((th, col) => {
    th.classList.add('sort'); th.setAttribute('role', 'button'); th.tabIndex = 0;
    const run = () => {
      const body = table.tBodies[0], asc = th.dataset.dir !== 'asc';
      table.querySelectorAll('thead th').forEach(h => delete h.dataset.dir);
      th.dataset.dir = asc ? 'asc' : 'desc';
      const key = tr => { const c = tr.children[col]; const v = c && c.dataset.v;
        return v !== undefined && v !== '' ? parseFloat(v) : (c ? c.innerText.trim() : ''); };
      [...body.rows].sort((a, b) => { const x = key(a), y = key(b);
        const r = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
        return asc ? r : -r; }).forEach(tr => body.appendChild(tr));
    };
    th.addEventListener('click', run);
    th.addEventListener('keydown', e => { if (e.key === 'Enter') run(); });
  });
}

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
// Page controls are wired here, not by inline handlers, so the Content-Security-Policy can forbid inline
// script: data-toggle/data-toggle-table switch chart and table, data-csv/data-csv-name download a table,
// data-autosubmit submits its form on change.
document.addEventListener('click', ev => {
  const t = ev.target.closest('[data-toggle-table]');
  if (t) { bilimToggle(t.dataset.toggle, t.dataset.toggleTable); return; }
  const c = ev.target.closest('[data-csv-name]');
  if (c) bilimTableCsv(c.dataset.csv, c.dataset.csvName);
});
// <form data-confirm="Delete this meeting?">: asks before submitting (no inline onsubmit under the CSP)
document.addEventListener('submit', ev => {
  const f = ev.target.closest('form[data-confirm]');
  if (f && !window.confirm(f.dataset.confirm)) ev.preventDefault();
});
document.addEventListener('change', ev => {
  if (ev.target.matches('[data-autosubmit]') && ev.target.form) ev.target.form.submit();
});
window.addEventListener('resize', () => document.querySelectorAll('.chart').forEach(el => {
  const inst = window.echarts && echarts.getInstanceByDom(el); if (inst) inst.resize(); }));

// Charts: one call per chart; the instance follows the page language for number formats.
function bilimLang() { return document.documentElement.lang || 'kk'; }
function bilimNarrow() { return window.innerWidth < 640; }
// One number format per language, the server's: the separators come from <html data-decimal data-group>
// (set from Django's format modules), not from the browser's locale data, which formats kk like English.
function bilimFmt(v, digits) {
  if (v === null || v === undefined || v === '' || Number.isNaN(Number(v))) return '—';
  const d = digits || 0, root = document.documentElement;
  const dec = root.dataset.decimal || ',', group = root.dataset.group === undefined ? '\u00a0' : root.dataset.group;
  const fixed = Math.abs(Number(v)).toFixed(d);
  const parts = fixed.split('.');
  const whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const sign = Number(v) < 0 && Number(fixed) !== 0 ? '-' : '';
  return sign + whole + (parts[1] ? dec + parts[1] : '');
}
// Axis ticks: as many decimals as the tick step needs, so that ticks never repeat ("98 98 99 99").
function bilimTick(v) { return bilimFmt(v, Number.isInteger(Math.round(v * 1e6) / 1e6) ? 0 : (Number.isInteger(Math.round(v * 10 * 1e6) / 1e6) ? 1 : 2)); }
function bilimEsc(s) {
  return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g,
    c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}
// Axis defaults that keep narrow (phone) charts legible: value-axis labels that would collide are
// dropped, and category labels wrapped onto two lines get a line height that keeps the lines apart.
function bilimAxisDefaults(axes) {
  (Array.isArray(axes) ? axes : (axes ? [axes] : [])).forEach(a => {
    a.axisLabel = a.axisLabel || {};
    if (a.type === 'value' && a.axisLabel.formatter === undefined) a.axisLabel.formatter = bilimTick;
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
  if (option.tooltip && option.tooltip.valueFormatter === undefined && !option.tooltip.formatter) {
    option.tooltip.valueFormatter = v => bilimFmt(v, 1);
  }
  inst.setOption(option, true);
  el.dataset.ready = '1';
  return inst;
}
// Kazakhstan's regions (amCharts geodata, features keyed by ISO code), fetched once per page.
// bilimKzMap(cb) gives cb the map name 'KZ'; bilimKzMap(cb, 'KZ-75') a map of that region alone.
let bilimGeoPromise = null;
function bilimKzMap(callback, focus) {
  if (!bilimGeoPromise) {
    bilimGeoPromise = fetch(document.documentElement.dataset.geoUrl).then(r => r.json()).then(geo => {
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

// Chart images: PNG from the chart as drawn; SVG by drawing the same option once more with the SVG renderer.
function bilimDownload(url, name) {
  const a = document.createElement('a'); a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
}
function bilimChartImage(id, type, name) {
  const el = document.getElementById(id), inst = el && window.echarts && echarts.getInstanceByDom(el);
  if (!inst) return;
  if (type === 'png') {
    bilimDownload(inst.getDataURL({type: 'png', pixelRatio: 2, backgroundColor: '#fff'}), name + '.png');
    return;
  }
  const box = document.createElement('div');
  box.style.cssText = 'position:absolute;left:-10000px;top:0;width:' + el.clientWidth + 'px;height:' + el.clientHeight + 'px';
  document.body.appendChild(box);
  const svg = echarts.init(box, null, {renderer: 'svg'});
  const option = inst.getOption(); option.animation = false;
  svg.setOption(option);
  bilimDownload(svg.getDataURL({type: 'svg'}), name + '.svg');
  svg.dispose(); box.remove();
}
document.addEventListener('click', e => {
  const b = e.target.closest && e.target.closest('[data-chart-image]');
  if (b) bilimChartImage(b.dataset.chartImage, b.dataset.type, b.dataset.name || b.dataset.chartImage);
});
// Before printing, redraw every chart at the printable width (the print stylesheet narrows them).
window.addEventListener('beforeprint', () => document.querySelectorAll('.chart').forEach(el => {
  const inst = window.echarts && echarts.getInstanceByDom(el); if (inst) inst.resize({width: 700});
}));
window.addEventListener('afterprint', () => document.querySelectorAll('.chart').forEach(el => {
  const inst = window.echarts && echarts.getInstanceByDom(el); if (inst) inst.resize();
}));

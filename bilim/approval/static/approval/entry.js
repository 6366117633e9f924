// Data-entry grid: row/column totals as you type, Enter/arrow-key navigation, changed-cell marks.
(function () {
  const form = document.getElementById('entry-form');
  if (!form) return;
  const num = (input) => {
    const t = (input.value || input.placeholder || '').trim();
    const v = parseFloat(t);
    return t !== '' && isFinite(v) ? v : 0;
  };
  const fmt = (v) => (Math.round(v * 100) / 100).toLocaleString();
  function totals(table) {
    const cols = {};
    let grand = 0;
    table.querySelectorAll('tbody tr').forEach((tr) => {
      let sum = 0;
      tr.querySelectorAll('input[name^="v:"]').forEach((inp) => {
        const v = num(inp);
        sum += v;
        cols[inp.dataset.col] = (cols[inp.dataset.col] || 0) + v;
      });
      grand += sum;
      const cell = tr.querySelector('[data-row-total]');
      if (cell) cell.textContent = fmt(sum);
    });
    table.querySelectorAll('[data-col-total]').forEach((td) => { td.textContent = fmt(cols[td.dataset.colTotal] || 0); });
    const g = table.querySelector('[data-grand-total]');
    if (g) g.textContent = fmt(grand);
  }
  const tables = [...form.querySelectorAll('table.grid')];
  tables.forEach(totals);
  const inputs = [...form.querySelectorAll('input[name^="v:"]')];
  form.addEventListener('input', (e) => {
    const inp = e.target;
    if (!inp.name || !inp.name.startsWith('v:')) return;
    const orig = form.querySelector('input[name="orig:' + CSS.escape(inp.name.slice(2)) + '"]');
    inp.classList.toggle('changed', !!orig && orig.value !== inp.value.trim());
    totals(inp.closest('table'));
  });
  form.addEventListener('keydown', (e) => {
    const inp = e.target;
    const i = inputs.indexOf(inp);
    if (i < 0) return;
    let next = null;
    if (e.key === 'Enter') {
      next = inputs[e.shiftKey ? i - 1 : i + 1];
      e.preventDefault();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const td = inp.closest('td'), tr = td.closest('tr');
      const sib = e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
      if (sib) next = sib.querySelector('input[data-col="' + inp.dataset.col + '"]');
      e.preventDefault();
    }
    if (next) { next.focus(); next.select(); }
  });
  let dirty = false;
  // the bar's Submit sends the saved values: held back while changes wait to be saved
  const barSubmit = document.getElementById('bar-submit'), hint = document.getElementById('entry-bar-hint');
  form.addEventListener('input', () => {
    dirty = true;
    if (barSubmit && !barSubmit.disabled) {
      barSubmit.disabled = true;
      if (hint) hint.textContent = barSubmit.dataset.unsaved;
    }
  });
  form.addEventListener('submit', () => { dirty = false; });
  window.addEventListener('beforeunload', (e) => { if (dirty) { e.preventDefault(); e.returnValue = ''; } });
})();

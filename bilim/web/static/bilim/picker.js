// Org-unit picker: a search box that asks /pickers/units/ as you type and keeps the chosen code in a
// hidden input (bilim/web/forms.py OrgUnitWidget). Typing clears the choice until one is picked.
(function () {
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g,
      c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
  }
  function init(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = '1';
    const q = box.querySelector('.ou-picker-q'), code = box.querySelector('.ou-picker-code'),
          list = box.querySelector('.ou-picker-list');
    let timer = null, active = -1, rows = [], seq = 0;
    function close() { list.hidden = true; q.setAttribute('aria-expanded', 'false'); active = -1; }
    function choose(i) {
      const r = rows[i]; if (!r) return;
      code.value = r.code; q.value = r.label; close();
      code.dispatchEvent(new Event('change', {bubbles: true}));
    }
    function mark() {
      [...list.children].forEach((li, i) => li.setAttribute('aria-selected', i === active ? 'true' : 'false'));
    }
    function show(data) {
      rows = data.results || [];
      list.innerHTML = rows.map((r, i) =>
        '<li role="option" data-i="' + i + '"><b>' + esc(r.code) + '</b> ' + esc(r.name) +
        '<small>' + esc(r.kind_label) + (r.parent ? ' · ' + esc(r.parent) : '') + '</small></li>').join('') +
        (rows.length ? '' : '<li class="empty">' + esc(box.dataset.empty) + '</li>') +
        (data.more ? '<li class="empty">' + esc(box.dataset.more) + '</li>' : '');
      list.hidden = false; q.setAttribute('aria-expanded', 'true'); active = rows.length ? 0 : -1; mark();
    }
    function search() {
      const mine = ++seq;
      const url = box.dataset.url + '?q=' + encodeURIComponent(q.value) +
        (box.dataset.kind ? '&kind=' + encodeURIComponent(box.dataset.kind) : '');
      fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
        .then(r => r.json()).then(d => { if (mine === seq && document.activeElement === q) show(d); })
        .catch(() => {});
    }
    q.addEventListener('input', () => { code.value = ''; clearTimeout(timer); timer = setTimeout(search, 200); });
    q.addEventListener('focus', () => { if (!code.value) search(); });
    q.addEventListener('keydown', e => {
      if (list.hidden) return;
      if (e.key === 'ArrowDown') { active = Math.min(rows.length - 1, active + 1); mark(); e.preventDefault(); }
      else if (e.key === 'ArrowUp') { active = Math.max(0, active - 1); mark(); e.preventDefault(); }
      else if (e.key === 'Enter') { if (active >= 0) { choose(active); e.preventDefault(); } }
      else if (e.key === 'Escape') { close(); }
    });
    list.addEventListener('mousedown', e => {
      const li = e.target.closest('li[data-i]'); if (li) { e.preventDefault(); choose(+li.dataset.i); }
    });
    q.addEventListener('blur', () => setTimeout(close, 150));
  }
  function scan(root) { (root || document).querySelectorAll('[data-ou-picker]').forEach(init); }
  document.addEventListener('DOMContentLoaded', () => scan());
  document.addEventListener('htmx:load', e => scan(e.target));
  window.bilimPickers = scan;
})();

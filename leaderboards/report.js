// alignboard report: sortable leaderboard and head-to-head sample viewer. No network, no framework;
// every model-written string is inserted with textContent, never as HTML.
(() => {
  const $ = (id) => document.getElementById(id);

  // ---- the leaderboard table: click a column to sort (numbers by value, n/a last; text alphabetically)
  for (const th of document.querySelectorAll('#board thead th')) {
    th.addEventListener('click', () => {
      const i = [...th.parentNode.children].indexOf(th);
      const dir = th.dataset.dir === 'desc' ? 1 : -1;
      th.dataset.dir = dir === 1 ? 'asc' : 'desc';
      const body = document.querySelector('#board tbody');
      const key = (tr) => {
        const v = tr.children[i].dataset.sort;
        return v === undefined || v === '' ? null : Number(v);
      };
      const rows = [...body.rows].sort((x, y) => {
        const a = key(x), b = key(y);
        if (a === null && b === null) return x.children[i].textContent.localeCompare(y.children[i].textContent) * dir;
        if (a === null) return 1;
        if (b === null) return -1;
        return (a - b) * dir;
      });
      body.append(...rows);
    });
  }

  // ---- head to head: two rows, one task, the same prompts side by side
  const D = JSON.parse($('h2h-data').textContent);
  const PER_PAGE = 10;
  let page = 0;
  const options = (select, values) => select.replaceChildren(...values.map((v) => {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = v;
    return o;
  }));
  options($('h2h-a'), D.rows);
  options($('h2h-b'), D.rows);
  options($('h2h-task'), Object.keys(D.tasks));
  $('h2h-b').selectedIndex = Math.min(1, D.rows.length - 1);

  const cell = (tr, text, pre) => {
    const td = document.createElement('td');
    const box = document.createElement(pre ? 'pre' : 'span');
    box.textContent = text;
    td.appendChild(box);
    tr.appendChild(td);
    return td;
  };

  const render = () => {
    const a = $('h2h-a').value, b = $('h2h-b').value, task = $('h2h-task').value;
    const q = $('h2h-q').value.toLowerCase();
    const A = (D.samples[a] || {})[task] || {}, B = (D.samples[b] || {})[task] || {}, P = D.prompts[task] || {};
    let ids = Object.keys(P).filter((id) => id in A && id in B).sort();
    if ($('h2h-differ').checked) ids = ids.filter((id) => A[id][1] !== B[id][1]);
    if (q) ids = ids.filter((id) => [id, P[id], A[id][0], B[id][0]].join(' ').toLowerCase().includes(q));
    const pages = Math.max(1, Math.ceil(ids.length / PER_PAGE));
    page = Math.max(0, Math.min(page, pages - 1));
    $('h2h-ha').textContent = 'A: ' + a + ' (seed ' + D.seeds[a] + ')';
    $('h2h-hb').textContent = 'B: ' + b + ' (seed ' + D.seeds[b] + ')';
    const body = $('h2h-body');
    body.replaceChildren();
    for (const id of ids.slice(page * PER_PAGE, (page + 1) * PER_PAGE)) {
      const tr = document.createElement('tr');
      tr.className = 'pair';
      tr.dataset.id = id;
      cell(tr, id, false);
      cell(tr, P[id], false);
      for (const [side, s] of [['a', A[id]], ['b', B[id]]]) {
        const td = cell(tr, s[0], true);
        const v = document.createElement('div');
        v.className = 'verdict ' + side;
        v.dataset.value = s[1] === null ? '' : String(s[1]);
        v.textContent = s[2];
        td.appendChild(v);
      }
      body.appendChild(tr);
    }
    $('h2h-count').textContent = ids.length + ' prompts, page ' + (page + 1) + ' of ' + pages;
  };
  for (const id of ['h2h-a', 'h2h-b', 'h2h-task', 'h2h-differ']) $(id).addEventListener('change', () => { page = 0; render(); });
  $('h2h-q').addEventListener('input', () => { page = 0; render(); });
  $('h2h-prev').addEventListener('click', () => { page -= 1; render(); });
  $('h2h-next').addEventListener('click', () => { page += 1; render(); });
  render();
})();

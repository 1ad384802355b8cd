/*
 * The spreadsheet as a person sees it: a grid of one tab at a time, refreshed from the Sheets emulator
 * (its admin view, formatted values) every POLL_MS while nobody is typing, so the backend's write-backs
 * (keys, lead ids, statuses) appear by themselves.
 *
 * A person's edits are reported, never applied here: `onEdit(sheet, row, column, values)` — the page
 * hands them to gas.userEdit (the emulator records the typing, then the add-on's installed triggers
 * run). Typing: select a cell, then type, Enter or F2 (Enter/Tab commit, Escape cancels); Delete clears;
 * Ctrl+V pastes a block (tab-separated rows, as Sheets copies). Arrow keys move the selection.
 * The sync's own columns (found by their `amo_sync_col` developer metadata) are shaded.
 */
(function () {
  'use strict';
  const POLL_MS = 2000;
  const ROLES = ['key', 'lead_id', 'link', 'sync'];

  function letters(n) {
    let s = '';
    for (; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
    return s;
  }

  function createGrid(options) {
    const o = options;
    const table = o.table;
    let data = null; // the emulator's admin view of the spreadsheet
    let sheetId = null;
    let selected = { row: 2, column: 1 };
    let editor = null; // {input, row, column}
    let timer = null;

    const sheet = () => data.sheets.find((s) => s.sheetId === sheetId) || data.sheets[0];
    const valueAt = (r, c) => {
      const line = sheet().values[r - 1] || [];
      const v = line[c - 1];
      return v === undefined || v === null ? '' : String(v);
    };
    const cellOf = (r, c) => table.querySelector('td[data-row="' + r + '"][data-column="' + c + '"]');

    async function refresh() {
      clearTimeout(timer);
      try {
        const res = await fetch(o.source, { cache: 'no-store' });
        if (res.ok && !editor) {
          data = await res.json();
          if (sheetId === null) sheetId = data.sheets[0].sheetId;
          render();
        }
      } finally {
        timer = setTimeout(refresh, POLL_MS);
      }
    }

    function ownColumns() {
      const own = new Set();
      for (const m of data.developerMetadata || []) {
        const d = m.location && m.location.dimensionRange;
        if (m.metadataKey === 'amo_sync_col' && d && d.sheetId === sheet().sheetId && ROLES.includes(m.metadataValue)) own.add(d.startIndex + 1);
      }
      return own;
    }

    /** Build the table once per shape; afterwards only cells whose text changed are touched. */
    function render() {
      const s = sheet();
      const width = Math.min(s.columnCount, Math.max(10, ...s.values.map((l) => l.length + 1)));
      const height = Math.min(s.rowCount, Math.max(40, s.values.length + 10));
      const shape = s.sheetId + ':' + width + 'x' + height;
      if (table.dataset.shape !== shape) {
        table.textContent = '';
        const head = table.createTHead().insertRow();
        head.appendChild(document.createElement('th')).className = 'corner';
        for (let c = 1; c <= width; c++) head.appendChild(document.createElement('th')).textContent = letters(c);
        const body = table.createTBody();
        for (let r = 1; r <= height; r++) {
          const tr = body.insertRow();
          tr.appendChild(document.createElement('th')).textContent = String(r);
          for (let c = 1; c <= width; c++) {
            const td = tr.insertCell();
            td.dataset.row = String(r);
            td.dataset.column = String(c);
            td.dataset.a1 = letters(c) + r;
          }
        }
        table.dataset.shape = shape;
      }
      const own = ownColumns();
      for (const td of table.tBodies[0].querySelectorAll('td')) {
        const r = Number(td.dataset.row);
        const c = Number(td.dataset.column);
        const text = valueAt(r, c);
        if (td.textContent !== text) td.textContent = text;
        td.title = text.length > 24 ? text : '';
        td.classList.toggle('own', own.has(c));
        td.classList.toggle('warn', text.startsWith('⚠'));
      }
      renderTabs();
      select(selected.row, selected.column, false);
    }

    function renderTabs() {
      o.tabs.textContent = '';
      for (const s of data.sheets) {
        const b = o.tabs.appendChild(document.createElement('button'));
        b.type = 'button';
        b.role = 'tab';
        b.textContent = s.title;
        b.setAttribute('aria-selected', String(s.sheetId === sheet().sheetId));
        b.addEventListener('click', () => {
          sheetId = s.sheetId;
          render();
        });
      }
    }

    function select(r, c, notify) {
      const s = sheet();
      selected = { row: Math.max(1, Math.min(r, s.rowCount)), column: Math.max(1, Math.min(c, s.columnCount)) };
      for (const td of table.querySelectorAll('td.selected')) td.classList.remove('selected');
      const td = cellOf(selected.row, selected.column);
      if (td) {
        td.classList.add('selected');
        if (notify !== false) td.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      }
      o.nameBox.textContent = letters(selected.column) + selected.row;
      o.valueBox.textContent = valueAt(selected.row, selected.column);
      if (notify !== false && o.onSelect) o.onSelect(s.sheetId, selected.row, selected.column);
    }

    function startEditing(initial) {
      const td = cellOf(selected.row, selected.column);
      if (!td || editor) return;
      const input = document.createElement('input');
      input.className = 'editor';
      input.value = initial === undefined ? valueAt(selected.row, selected.column) : initial;
      input.setAttribute('aria-label', 'Edit cell ' + letters(selected.column) + selected.row);
      editor = { input, row: selected.row, column: selected.column, before: valueAt(selected.row, selected.column) };
      td.textContent = '';
      td.appendChild(input);
      input.focus();
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === 'Tab') {
          e.preventDefault();
          finishEditing(true, e.key === 'Enter' ? [1, 0] : [0, 1]);
        } else if (e.key === 'Escape') {
          finishEditing(false, [0, 0]);
        }
      });
      input.addEventListener('blur', () => finishEditing(true, null));
    }

    function finishEditing(commit, move) {
      if (!editor) return;
      const e = editor;
      editor = null;
      e.input.remove();
      cellOf(e.row, e.column).textContent = commit ? e.input.value : e.before;
      if (move) select(e.row + move[0], e.column + move[1]);
      table.focus();
      if (commit && e.input.value !== e.before) edit(e.row, e.column, [[e.input.value]]);
    }

    function edit(row, column, values) {
      o.onEdit(sheet().title, row, column, values);
      refresh();
    }

    table.tabIndex = 0;
    table.addEventListener('click', (e) => {
      const td = e.target.closest('td');
      if (td && !td.contains(editor && editor.input)) select(Number(td.dataset.row), Number(td.dataset.column));
    });
    table.addEventListener('dblclick', (e) => {
      if (e.target.closest('td')) startEditing();
    });
    table.addEventListener('keydown', (e) => {
      if (editor) return;
      const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (moves[e.key]) {
        e.preventDefault();
        select(selected.row + moves[e.key][0], selected.column + moves[e.key][1]);
      } else if (e.key === 'Enter' || e.key === 'F2') {
        e.preventDefault();
        startEditing();
      } else if (e.key === 'Delete' || e.key === 'Backspace') {
        e.preventDefault();
        if (valueAt(selected.row, selected.column) !== '') edit(selected.row, selected.column, [['']]);
      } else if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        startEditing(e.key);
      }
    });
    table.addEventListener('paste', (e) => {
      if (editor) return;
      const text = (e.clipboardData && e.clipboardData.getData('text/plain')) || '';
      const lines = text.replace(/\r?\n$/, '').split(/\r?\n/).map((l) => l.split('\t'));
      if (!text) return;
      e.preventDefault();
      const w = Math.max(...lines.map((l) => l.length));
      edit(selected.row, selected.column, lines.map((l) => l.concat(new Array(w - l.length).fill(''))));
    });

    return { refresh, select, selected: () => Object.assign({ sheetId: sheet().sheetId }, selected) };
  }

  window.SandboxGrid = { createGrid, letters };
})();

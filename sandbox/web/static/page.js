/*
 * The sandbox page: wires the grid, the add-on menu, the real sidebar and the amoCRM board to the
 * Apps Script server of apps-script.js.
 *
 *  - the document is opened as Sheets does (onOpen in AuthMode.LIMITED builds the add-on menu), then the
 *    menu's "Open sidebar" is run once so a newcomer sees the sidebar at once;
 *  - a sidebar the add-on shows (Ui.showSidebar) is loaded into a 300 px iframe, with a `google.script`
 *    shim (run-shim.js) whose calls run the add-on's server functions in new executions;
 *  - a person's edit in the grid is gas.userEdit: the emulator records the typing, then the installed
 *    edit trigger (auto-sync) runs the add-on's handleEdit, which sends the row to the backend.
 */
(async function () {
  'use strict';
  const config = JSON.parse(document.body.getAttribute('data-config'));
  const $ = (id) => document.getElementById(id);
  const project = await (await fetch('/project.json', { cache: 'no-store' })).json();
  const G = window.GasDoubles;
  let sidebarsShown = 0;
  let toastsShown = 0;

  const server = window.SandboxAppsScript.createServer(config, project, {
    busy: (on) => ($('busy').hidden = !on),
    executed: logExecution,
  });
  const gas = server.gas;

  function logExecution(x) {
    const li = document.createElement('li');
    const warnings = x.logs.filter((l) => l.level !== 'info').map((l) => l.level + ': ' + l.message);
    li.textContent = x.label + ' — ' + x.ms + ' ms' + (warnings.length ? ' — ' + warnings.join('; ') : '');
    $('log').prepend(li);
    while ($('log').children.length > 50) $('log').lastChild.remove();
    afterExecution();
  }

  /** What an execution asked the UI to do: show a sidebar, a toast. */
  function afterExecution() {
    const ui = gas.state.ui;
    if (ui.sidebars.length > sidebarsShown) {
      sidebarsShown = ui.sidebars.length;
      showSidebar(ui.sidebars[ui.sidebars.length - 1]);
    }
    if (ui.toasts.length > toastsShown) {
      toastsShown = ui.toasts.length;
      toast(ui.toasts[ui.toasts.length - 1].message);
    }
  }

  function toast(text) {
    $('toast').textContent = text;
    $('toast').hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => ($('toast').hidden = true), 5000);
  }

  // ---- the sidebar ---------------------------------------------------------------------------------------

  /** The object the sidebar's own code finds as `google.script` (injected before its scripts run). */
  window.sandboxScriptFor = function () {
    return G.createScriptShim((name, args) => server.run('google.script.run ' + name, () => gas.call(name, ...args)), {
      close: () => ($('sidebar-host').hidden = true),
    });
  };

  function showSidebar(sidebar) {
    const boot = '<script>window.google = { script: parent.sandboxScriptFor() };<\/script>';
    $('sidebar-title').textContent = sidebar.title;
    $('sidebar').srcdoc = sidebar.content.replace(/<head>/i, '<head>' + boot);
    $('sidebar-host').hidden = false;
  }
  $('sidebar-close').addEventListener('click', () => ($('sidebar-host').hidden = true));

  // ---- the Extensions menu (built by the add-on's onOpen) ------------------------------------------------

  function renderMenu() {
    const box = $('menu-items');
    box.textContent = '';
    for (const menu of gas.state.ui.menus) {
      const title = box.appendChild(document.createElement('div'));
      title.className = 'menu-title';
      title.textContent = menu.name === 'addon' ? 'amoCRM Sync' : menu.name;
      for (const item of menu.items.filter((i) => i.functionName)) {
        const b = box.appendChild(document.createElement('button'));
        b.type = 'button';
        b.role = 'menuitem';
        b.textContent = item.caption;
        b.addEventListener('click', () => {
          closeMenu();
          server.run('menu ' + item.functionName, () => gas.run(item.functionName, [], { authMode: 'FULL' }));
        });
      }
    }
  }
  const closeMenu = () => {
    $('menu-items').hidden = true;
    $('menu-extensions').setAttribute('aria-expanded', 'false');
  };
  $('menu-extensions').addEventListener('click', () => {
    const open = $('menu-items').hidden;
    $('menu-items').hidden = !open;
    $('menu-extensions').setAttribute('aria-expanded', String(open));
  });

  // ---- the grid ------------------------------------------------------------------------------------------

  const grid = window.SandboxGrid.createGrid({
    table: $('grid'),
    tabs: $('tabs'),
    nameBox: $('cell-name'),
    valueBox: $('cell-value'),
    source: '/proxy/sheets/_sandbox/spreadsheets/' + encodeURIComponent(config.spreadsheetId) + '?render=FORMATTED_VALUE',
    onSelect: (sheetId, row, column) => {
      gas.state.active = { sheetId, range: { row, column, numRows: 1, numColumns: 1 } };
    },
    onEdit: (sheetTitle, row, column, values) => {
      server.run('edit ' + sheetTitle + '!' + window.SandboxGrid.letters(column) + row, () => gas.userEdit(sheetTitle, row, column, values));
    },
  });

  // ---- start ---------------------------------------------------------------------------------------------

  $('who').textContent = config.user;
  $('doc-title').textContent = server.store.spreadsheet().title;
  $('amo-board').src = config.amoBoard;
  server.run('onOpen (LIMITED)', () => gas.open('LIMITED'));
  renderMenu();
  server.run('menu showSidebar', () => gas.run('showSidebar', [], { authMode: 'FULL' }));
  await grid.refresh();
  document.body.dataset.ready = 'true';
})();

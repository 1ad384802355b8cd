/*
 * SpreadsheetApp.getUi() double: add-on menus, sidebars, dialogs and alerts, all recorded in
 * state.ui so tests (and the sandbox page) can see what a person would see.
 *
 * Facts mirrored (reference/google.md §2.1): `createAddonMenu()` makes the sub-menu under Extensions;
 * `showSidebar` needs `script.container.ui` (Google: "Specified permissions are not sufficient to call
 * Ui.showSidebar" otherwise); every sidebar is 300 px wide whatever the HtmlOutput asks for.
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});
  const { makeEnum } = ns.runtime;

  const Button = makeEnum(['CLOSE', 'OK', 'CANCEL', 'YES', 'NO']);
  const ButtonSet = makeEnum(['OK', 'OK_CANCEL', 'YES_NO', 'YES_NO_CANCEL']);
  const SIDEBAR_WIDTH = 300;

  function menu(ex, name) {
    const items = [];
    const self = {
      addItem(caption, functionName) {
        items.push({ caption: String(caption), functionName: String(functionName) });
        return self;
      },
      addSeparator() {
        items.push({ separator: true });
        return self;
      },
      addSubMenu(sub) {
        items.push({ subMenu: sub._snapshot() });
        return self;
      },
      addToUi() {
        const ui = ex.state.ui;
        ui.menus = ui.menus.filter((m) => m.name !== name);
        ui.menus.push(Object.assign(self._snapshot(), { execution: ex.id, authMode: String(ex.authMode) }));
      },
      _snapshot: () => ({ name, items: items.map((i) => Object.assign({}, i)) }),
    };
    return self;
  }

  function createUi(ex) {
    const ui = ex.state.ui;
    const show = (kind, html, title) => {
      ex.check('Ui.' + kind, 'LIMITED', ['script.container.ui']);
      ui[kind === 'showSidebar' ? 'sidebars' : 'dialogs'].push({
        title: title || html.getTitle(),
        content: html.getContent(),
        width: kind === 'showSidebar' ? SIDEBAR_WIDTH : html.getWidth(),
        execution: ex.id,
      });
    };
    return {
      Button,
      ButtonSet,
      createAddonMenu: () => menu(ex, 'addon'),
      createMenu: (caption) => menu(ex, String(caption)),
      showSidebar: (html) => show('showSidebar', html),
      showModalDialog: (html, title) => show('showModalDialog', html, title),
      showModelessDialog: (html, title) => show('showModelessDialog', html, title),
      alert(a, b, c) {
        const [title, prompt, buttons] = b === undefined || Object.values(ButtonSet).includes(b) ? ['', a, b] : [a, b, c];
        ui.alerts.push({ title: String(title), prompt: String(prompt), buttons: String(buttons || ButtonSet.OK), execution: ex.id });
        return Button.OK;
      },
    };
  }

  ns.createUi = createUi;
  ns.ui = { Button, ButtonSet, SIDEBAR_WIDTH };
})(globalThis);

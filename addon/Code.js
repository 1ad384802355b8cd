/**
 * Menu, install and show — nothing else (STYLE 16). onOpen runs as a simple trigger, possibly in
 * AuthMode.NONE (the add-on is installed but not yet used in this document), where no service that
 * needs authorization may be touched — not even PropertiesService (reference/google.md §2.1). So in
 * NONE the menu is built blind; in LIMITED and FULL it follows the document's state, auto-sync
 * included (recorded in DocumentProperties, so no ScriptApp call is needed).
 */

function onOpen(e) {
  var mode = e && e.authMode;
  var menu = SpreadsheetApp.getUi().createAddonMenu().addItem('Open sidebar', 'showSidebar');
  if (mode == ScriptApp.AuthMode.NONE) {
    menu.addItem('Sync now', 'menuSyncNow').addItem('Turn on auto-sync', 'menuTurnOnAutoSync');
  } else if (loadConnection_()) {
    menu.addItem('Sync now', 'menuSyncNow');
    if (autoSyncState_().autoSync) menu.addItem('Turn off auto-sync', 'menuTurnOffAutoSync');
    else menu.addItem('Turn on auto-sync', 'menuTurnOnAutoSync');
  }
  menu.addToUi();
}

function onInstall(e) {
  onOpen(e);
}

function showSidebar() {
  showSidebar_('');
}

/** The sidebar, told what to start with ('' or 'sync'); data goes in as one escaped attribute. */
function showSidebar_(start) {
  var template = HtmlService.createTemplateFromFile(CONFIG.HTML.SIDEBAR);
  template.config = JSON.stringify({ start: start, title: CONFIG.ADDON_TITLE, messages: Messages.TEXT });
  SpreadsheetApp.getUi().showSidebar(template.evaluate().setTitle(CONFIG.ADDON_TITLE));
}

/** For scriptlets: the content of a partial (CSS or JS), not evaluated. */
function include(name) {
  return HtmlService.createHtmlOutputFromFile(name).getContent();
}

/** Sync now goes through the sidebar: preview, confirm, progress — one flow, one place. */
function menuSyncNow() {
  showSidebar_(loadConnection_() ? 'sync' : '');
}

function menuTurnOnAutoSync() {
  if (!loadConnection_()) return showSidebar_('');
  turnOnAutoSync();
  SpreadsheetApp.getActiveSpreadsheet().toast('Edits in this sheet now go to amoCRM as you type.', CONFIG.ADDON_TITLE);
}

function menuTurnOffAutoSync() {
  turnOffAutoSync();
  SpreadsheetApp.getActiveSpreadsheet().toast('Auto-sync is off. Use Sync now to send changes.', CONFIG.ADDON_TITLE);
}

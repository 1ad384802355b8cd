/*
 * ScriptApp and Session doubles: AuthMode, identity/OAuth tokens, installable triggers, authorization
 * info, the active user.
 *
 * Trigger rules mirrored (reference/google.md §2.2): add-ons create installable triggers only from code;
 * "one trigger of each type per user per document"; at most 20 triggers per user per script; a trigger
 * runs as the user who created it; a user sees and deletes only their own triggers.
 * `getIdentityToken()` needs the `openid` scope and returns null without it; its value comes from
 * state.identityToken() (tests: a fixed string; the sandbox: its Google ID-token issuer).
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});
  const { makeEnum, AuthMode, scopeUrl } = ns.runtime;

  const EventType = makeEnum(['CLOCK', 'ON_OPEN', 'ON_EDIT', 'ON_FORM_SUBMIT', 'ON_CHANGE', 'ON_EVENT_UPDATED']);
  const TriggerSource = makeEnum(['SPREADSHEETS', 'CLOCK', 'FORMS', 'DOCUMENTS', 'CALENDAR']);
  const AuthorizationStatus = makeEnum(['REQUIRED', 'NOT_REQUIRED']);
  const InstallationSource = makeEnum(['APPS_MARKETPLACE_DOMAIN_ADD_ON', 'NONE', 'WEB_STORE_ADD_ON']);
  const MAX_TRIGGERS = 20;
  const KIND = { ON_EDIT: 'edit', ON_CHANGE: 'change', ON_OPEN: 'open', ON_FORM_SUBMIT: 'form submit' };

  function triggerObject(t) {
    return {
      getUniqueId: () => t.uid,
      getHandlerFunction: () => t.handler,
      getEventType: () => EventType[t.eventType],
      getTriggerSource: () => TriggerSource.SPREADSHEETS,
      getTriggerSourceId: () => t.sourceId,
    };
  }

  function createScriptApp(ex) {
    const state = ex.state;
    const user = () => state.user.email;
    const need = (m, scopes) => ex.check('ScriptApp.' + m, 'FULL', scopes);

    function create(handler, sourceId, eventType) {
      const mine = state.triggers.filter((t) => t.user === user());
      if (mine.some((t) => t.sourceId === sourceId && t.eventType === eventType)) {
        throw new Error('This add-on has created too many ' + KIND[eventType] + ' triggers in this document for this Google user account. Try deleting one or more triggers.');
      }
      if (mine.length >= MAX_TRIGGERS) {
        throw new Error('This script has too many triggers. Triggers must be deleted from the script before more can be added.');
      }
      const t = { uid: String(state.nextTriggerId++), user: user(), handler: String(handler), eventType, sourceId };
      state.triggers.push(t);
      ex.record('ScriptApp.createTrigger', { handler: t.handler, eventType });
      return triggerObject(t);
    }

    return {
      AuthMode,
      EventType,
      TriggerSource,
      AuthorizationStatus,
      InstallationSource,
      getScriptId: () => state.scriptId,
      getInstallationSource: () => InstallationSource.NONE,
      getIdentityToken() {
        need('getIdentityToken');
        return state.granted.has('openid') ? state.identityToken() : null;
      },
      getOAuthToken() {
        need('getOAuthToken');
        return 'ya29.double-token-for-' + user();
      },
      getAuthorizationInfo() {
        return {
          getAuthorizationStatus: () => AuthorizationStatus[state.authorization.status],
          getAuthorizationUrl: () => state.authorization.url,
          getAuthorizedScopes: () => Array.from(state.granted),
        };
      },
      newTrigger(handler) {
        need('newTrigger', ['script.scriptapp']);
        return {
          forSpreadsheet(spreadsheet) {
            const id = typeof spreadsheet === 'string' ? spreadsheet : spreadsheet.getId();
            if (id !== state.store.spreadsheet().spreadsheetId) {
              throw new Error('Add-ons can only create triggers for the file they are used in.');
            }
            let eventType = null;
            const builder = {
              onEdit() { eventType = 'ON_EDIT'; return builder; },
              onChange() { eventType = 'ON_CHANGE'; return builder; },
              onOpen() { eventType = 'ON_OPEN'; return builder; },
              onFormSubmit() { eventType = 'ON_FORM_SUBMIT'; return builder; },
              create() {
                if (!eventType) throw new Error('The trigger needs an event type before create().');
                return create(handler, id, eventType);
              },
            };
            return builder;
          },
        };
      },
      getUserTriggers(spreadsheet) {
        need('getUserTriggers', ['script.scriptapp']);
        const id = spreadsheet.getId();
        return state.triggers.filter((t) => t.user === user() && t.sourceId === id).map(triggerObject);
      },
      getProjectTriggers() {
        need('getProjectTriggers', ['script.scriptapp']);
        return state.triggers.filter((t) => t.user === user()).map(triggerObject);
      },
      deleteTrigger(trigger) {
        need('deleteTrigger', ['script.scriptapp']);
        const uid = trigger.getUniqueId();
        state.triggers = state.triggers.filter((t) => !(t.uid === uid && t.user === user()));
        ex.record('ScriptApp.deleteTrigger', { handler: trigger.getHandlerFunction() });
      },
    };
  }

  function createSession(ex) {
    const state = ex.state;
    const email = () => (String(ex.authMode) === 'FULL' && state.granted.has(scopeUrl('userinfo.email')) ? state.user.email : '');
    const userObject = () => ({ getEmail: email, toString: email });
    return {
      getActiveUser: userObject,
      getEffectiveUser: userObject,
      getActiveUserLocale: () => 'ru',
      getScriptTimeZone: () => state.manifest.timeZone || 'Etc/UTC',
      getTemporaryActiveUserKey: () => 'temp-key-' + state.user.email.length,
    };
  }

  ns.createScriptApp = createScriptApp;
  ns.createSession = createSession;
  ns.scriptapp = { EventType, TriggerSource, AuthorizationStatus };
})(globalThis);

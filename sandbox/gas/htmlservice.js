/*
 * HtmlService double: createTemplateFromFile / createTemplate + evaluate() with scriptlets, and
 * createHtmlOutputFromFile / createHtmlOutput (raw, no scriptlets — as in Apps Script, a partial
 * pulled in by an `include()` helper is not evaluated).
 *
 * Scriptlets: `<? code ?>` runs, `<?= expr ?>` prints escaped, `<?!= expr ?>` prints as is. Apps
 * Script escapes `<?= ?>` contextually (HTML text, attribute, or JS inside <script>); this double
 * always HTML-escapes, which is what the attribute and text contexts get — so keep `<?= ?>` out of
 * <script> blocks (the add-on passes data in a data-* attribute). Template properties become variables;
 * the add-on's own globals (e.g. `include`) are visible through `scope`, the execution's global object.
 * Files come from state.files, named as clasp pushes them ('addon/Sidebar' for addon/Sidebar.html).
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});
  const { makeEnum } = ns.runtime;

  const SandboxMode = makeEnum(['EMULATED', 'IFRAME', 'NATIVE', 'NONE']);
  const XFrameOptionsMode = makeEnum(['ALLOWALL', 'DEFAULT']);

  function escapeHtml(v) {
    return String(v === undefined || v === null ? '' : v)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;');
  }

  /** Template text → the body of a function(__out, __esc) that appends the page to __out. */
  function compile(text) {
    let code = '';
    const re = /<\?(!=|=)?([\s\S]*?)\?>/g;
    let last = 0;
    let m;
    while ((m = re.exec(text))) {
      code += '__out.push(' + JSON.stringify(text.slice(last, m.index)) + ');\n';
      if (m[1] === '=') code += '__out.push(__esc(' + m[2] + '));\n';
      else if (m[1] === '!=') code += '__out.push(String(' + m[2] + '));\n';
      else code += m[2] + '\n';
      last = re.lastIndex;
    }
    return code + '__out.push(' + JSON.stringify(text.slice(last)) + ');\n';
  }

  const TEMPLATE_METHODS = new Set(['getRawContent', 'getCode', 'evaluate']);

  function output(content, scope) {
    let html = content || '';
    let title = '';
    let width = 600;
    let height = 400;
    const self = {
      getContent: () => html,
      setContent(c) { html = String(c); return self; },
      append(c) { html += String(c); return self; },
      appendUntrusted(c) { html += escapeHtml(c); return self; },
      clear() { html = ''; return self; },
      getTitle: () => title,
      setTitle(t) { title = String(t); return self; },
      getWidth: () => width,
      setWidth(w) { width = w; return self; },
      getHeight: () => height,
      setHeight(h) { height = h; return self; },
      setSandboxMode: () => self, // "setSandboxMode is now a no-op" (reference/google.md §2.1)
      setXFrameOptionsMode: () => self,
      addMetaTag: () => self,
      setFaviconUrl: () => self,
      asTemplate: () => template(html, scope),
    };
    return self;
  }

  /** A template; its own non-method properties are the variables its scriptlets see. */
  function template(text, scope) {
    const self = {
      getRawContent: () => text,
      getCode: () => compile(text),
      evaluate() {
        const vars = {};
        for (const k of Object.keys(self)) if (!TEMPLATE_METHODS.has(k)) vars[k] = self[k];
        // `with` resolves template variables first, then the execution's globals (include(), …).
        const run = new Function('__scope', '__vars', '__out', '__esc', 'with (__scope) { with (__vars) {\n' + compile(text) + '\n} }');
        const out = [];
        run(scope, vars, out, escapeHtml);
        return output(out.join(''), scope);
      },
    };
    return self;
  }

  /** scope: the global object of the execution (its functions are visible to scriptlets). */
  function createHtmlService(ex, scope) {
    const file = (name) => {
      const text = ex.state.files[name];
      if (text === undefined) throw new Error('No HTML file named ' + name + ' was found.');
      return text;
    };
    return {
      SandboxMode,
      XFrameOptionsMode,
      createHtmlOutput: (content) => output(content, scope),
      createHtmlOutputFromFile: (name) => output(file(name), scope),
      createTemplate: (text) => template(String(text), scope),
      createTemplateFromFile: (name) => template(file(name), scope),
    };
  }

  ns.createHtmlService = createHtmlService;
  ns.html = { escapeHtml, compile };
})(globalThis);

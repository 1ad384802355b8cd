/*
 * HtmlService double: createTemplateFromFile / createTemplate + evaluate() with scriptlets, and
 * createHtmlOutputFromFile / createHtmlOutput (raw, no scriptlets — as in Apps Script, a partial
 * pulled in by an `include()` helper is not evaluated).
 *
 * Templates compile the way Apps Script documents for HtmlTemplate.getCode() (guides/html/templates,
 * "Debug templates": https://developers.google.com/apps-script/guides/html/templates#debug_templates):
 * text becomes `output._ = '…';`, `<?= x ?>` becomes `output._$ = x ;` (appendUntrusted), `<?!= x ?>`
 * becomes `output._ = x ;` (append), `<? code ?>` becomes `code ;`, all inside
 * `(function() { var output = HtmlService.initTemplate(); … return output.$out.append(''); })();`,
 * keeping the template's line numbers. Tags are found anywhere — inside an HTML comment too — so an
 * empty `<?= ?>` is `output._$ = ;`, and evaluate() throws a SyntaxError as on the server; a `//` in a
 * scriptlet comments out the rest of its line (the guide's "Hierarchy of comments").
 * Apps Script escapes `<?= ?>` by context (HTML text, attribute, or JS inside <script>); this double
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

  /** A JavaScript string literal in single quotes, as getCode() writes text. */
  function quote(text) {
    return "'" + text.replace(/[\\'\r\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).replace(/\n/g, '\\n') + "'";
  }

  /**
   * Text between scriptlets → one `output._ = '…';` per template line, so code keeps the template's
   * lines and a `//` in a scriptlet silences only the rest of its own line.
   */
  function textCode(text) {
    const lines = text.split('\n');
    return lines.map((l, i) => (i < lines.length - 1 ? "output._ = " + quote(l + '\n') + ';\n' : l ? 'output._ = ' + quote(l) + '; ' : '')).join('');
  }

  /** Template text → the code HtmlTemplate.getCode() returns (see the header). */
  function compile(text) {
    let code = '(function() { var output = HtmlService.initTemplate(); ';
    const re = /<\?(!=|=)?([\s\S]*?)\?>/g;
    let last = 0;
    let m;
    while ((m = re.exec(text))) {
      code += textCode(text.slice(last, m.index));
      if (m[1] === '=') code += 'output._$ =' + m[2] + ';';
      else if (m[1] === '!=') code += 'output._ =' + m[2] + ';';
      else code += m[2] + ';';
      last = re.lastIndex;
    }
    return code + textCode(text.slice(last)) + "\n/* End of user code */\nreturn output.$out.append('');\n})();";
  }

  /** HtmlService.initTemplate(): `_ = x` appends, `_$ = x` appends escaped, `$out` is the page. */
  function initTemplate(scope) {
    const out = output('', scope);
    return Object.defineProperties({}, {
      _: { set: (v) => out.append(v) },
      _$: { set: (v) => out.appendUntrusted(v) },
      $out: { value: out },
    });
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
        // Compiled here, so a template that is not valid code throws (a SyntaxError) from evaluate().
        // `with` resolves template variables first, then the execution's globals (include(), …).
        const run = new Function('__scope', '__vars', 'with (__scope) { with (__vars) { return ' + compile(text) + '\n} }');
        return run(scope, vars);
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
      // Undocumented, used by the code getCode() generates (the templates guide, "Debug templates").
      initTemplate: () => initTemplate(scope),
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

/*
 * A `google.script` object for a sidebar page outside Google: `google.script.run` with
 * withSuccessHandler / withFailureHandler / withUserObject and any server function name (a Proxy), and
 * `google.script.host` (close, setHeight, setWidth, editor.focus).
 *
 * `call(name, args)` runs the server function synchronously (e.g. gas.call over the doubles) and
 * returns its result; the shim delivers it asynchronously like the real bridge, copying arguments and
 * results with the bridge's rules (gas.js toClient: no Date, no function). Without a failure handler
 * an error only reaches the console, as documented (reference/google.md §2.1).
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});

  function createScriptShim(call, hooks) {
    const h = hooks || {};
    const defer = h.defer || ((fn) => setTimeout(fn, 0));
    function runner(success, failure, userObject) {
      return new Proxy(
        {},
        {
          get(_, name) {
            if (name === 'withSuccessHandler') return (fn) => runner(fn, failure, userObject);
            if (name === 'withFailureHandler') return (fn) => runner(success, fn, userObject);
            if (name === 'withUserObject') return (obj) => runner(success, failure, obj);
            if (typeof name !== 'string') return undefined;
            return (...args) => {
              let copied;
              try {
                copied = ns.toClient(args, 'arguments');
              } catch (err) {
                defer(() => (failure ? failure(err, userObject) : console.error(err)));
                return;
              }
              defer(() => {
                let result;
                try {
                  result = ns.toClient(call(name, copied));
                } catch (err) {
                  const e = new Error(err && typeof err.message === 'string' ? err.message : String(err)); // a copy, like the bridge's
                  return failure ? failure(e, userObject) : console.error(e);
                }
                if (success) success(result, userObject);
              });
            };
          },
        }
      );
    }
    return {
      run: runner(null, null, undefined),
      host: {
        close: () => h.close && h.close(),
        setHeight: (px) => h.setHeight && h.setHeight(px),
        setWidth: (px) => h.setWidth && h.setWidth(px),
        editor: { focus: () => h.focusEditor && h.focusEditor() },
        origin: h.origin || 'https://docs.google.com',
      },
    };
  }

  ns.createScriptShim = createScriptShim;
})(globalThis);

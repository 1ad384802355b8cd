#!/usr/bin/env node
// Type-checks the add-on against Apps Script's own typings (make test; `npm run typecheck`):
//  - the server files (addon/**/*.js) with tsconfig.json and @types/google-apps-script;
//  - the sidebar's script — the <script> of each addon/*Js.html partial — with tsconfig.sidebar.json,
//    the DOM and @types/google.script.client-side. The script is copied to a temporary .js file with
//    every line outside <script> blanked, so an error's line number is its line in the .html file.
// Exits non-zero on any error; prints tsc's diagnostics with the .html file's name.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The text of an HTML file with everything outside <script>…</script> turned into blank lines. */
function scriptOnly(html) {
  const out = [];
  let inside = false;
  for (const line of html.split('\n')) {
    if (!inside && /<script>\s*$/.test(line.trim())) { inside = true; out.push(''); continue; }
    if (inside && line.trim() === '</script>') { inside = false; out.push(''); continue; }
    out.push(inside ? line : '');
  }
  if (inside) throw new Error('unclosed <script>');
  return out.join('\n');
}

function tsc(project) {
  const r = spawnSync(process.execPath, [TSC, '-p', project, '--pretty', 'false'], { cwd: ROOT, encoding: 'utf8' });
  return { ok: r.status === 0, output: (r.stdout || '') + (r.stderr || '') };
}

function main() {
  if (!fs.existsSync(TSC)) {
    console.error('typecheck: TypeScript is not installed; run `npm ci` at the repository root');
    return 2;
  }
  let failed = false;
  const server = tsc(path.join(ROOT, 'tsconfig.json'));
  process.stdout.write(server.output);
  failed = failed || !server.ok;

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'addon-typecheck-'));
  try {
    const partials = fs.readdirSync(path.join(ROOT, 'addon')).filter((f) => /Js\.html$/.test(f));
    const files = partials.map((f) => {
      const js = path.join(tmp, f.replace(/\.html$/, '.js'));
      fs.writeFileSync(js, scriptOnly(fs.readFileSync(path.join(ROOT, 'addon', f), 'utf8')));
      return js;
    });
    const config = path.join(tmp, 'tsconfig.json');
    fs.writeFileSync(config, JSON.stringify({ extends: path.join(ROOT, 'tsconfig.sidebar.json'), files }));
    const sidebar = tsc(config);
    // tsc names the copies by a path relative to ROOT; give the errors the .html file's name.
    const text = sidebar.output.replace(/[^\s(]*addon-typecheck-[^/\\]+[/\\]([\w-]+)\.js/g, 'addon/$1.html');
    process.stdout.write(text);
    failed = failed || !sidebar.ok;
    console.log('typecheck: ' + (failed ? 'errors above' : 'server files and ' + partials.join(', ') + ': 0 errors'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
module.exports = { scriptOnly };

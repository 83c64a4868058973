// Parse Mermaid diagrams with mermaid's own parser (no browser, no rendering).
// stdin: a JSON list of diagram texts; stdout: a JSON list, null (parsed) or the error text.
import { JSDOM } from 'jsdom';

const dom = new JSDOM('');
globalThis.window = dom.window;  // mermaid's DOMPurify needs a window at import time
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    const r = await mermaid.parse(text);
    results.push(r && r.diagramType === 'flowchart-v2' ? null : `not a flowchart: ${JSON.stringify(r)}`);
  } catch (e) {
    results.push(String((e && e.message) || e));
  }
}
process.stdout.write(JSON.stringify(results));

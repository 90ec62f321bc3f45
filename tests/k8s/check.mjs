// Builds each overlay with kustomize and checks every object offline:
// the Kubernetes schema, then the platform's policies.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { policyProblems, schemaProblems } from './policy.mjs';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const overlays = ['dev', 'production'];
let failed = false;

for (const overlay of overlays) {
  const directory = path.join(top, 'k8s', 'overlays', overlay);
  const built = execFileSync('kubectl', ['kustomize', directory], { encoding: 'utf8' });
  const objects = parseAllDocuments(built).map((document) => document.toJSON()).filter(Boolean);
  const problems = [...schemaProblems(objects), ...policyProblems(objects)];
  if (problems.length > 0) {
    failed = true;
    console.error(`k8s/overlays/${overlay}: ${problems.length} problem(s)`);
    for (const problem of problems) console.error(`  ${problem}`);
  } else {
    console.log(`k8s/overlays/${overlay}: ${objects.length} objects pass the schema and policy checks`);
  }
}
process.exit(failed ? 1 : 0);

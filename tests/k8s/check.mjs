// Builds each overlay with kustomize and checks every object offline:
// the Kubernetes schema, then the platform's policies.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { monitoringProblems, policyProblems, schemaProblems } from './policy.mjs';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const overlays = ['dev', 'production'];
let failed = false;

for (const overlay of overlays) {
  const directory = path.join(top, 'k8s', 'overlays', overlay);
  const built = execFileSync('kubectl', ['kustomize', directory], { encoding: 'utf8' });
  const objects = parseAllDocuments(built).map((document) => document.toJSON()).filter(Boolean);
  const problems = [...schemaProblems(objects), ...policyProblems(objects)];
  // In production a missing secret must stop the pod, not change what it
  // does: without the mail server's, parents' passwords went to files.
  if (overlay === 'production') {
    for (const object of objects) {
      for (const container of object.spec?.template?.spec?.containers ?? []) {
        for (const source of container.envFrom ?? []) {
          if (source.secretRef?.optional) {
            problems.push(`${object.kind}/${object.metadata.name}: secret ${source.secretRef.name} ` +
              'is optional, and production needs every secret it names');
          }
        }
      }
    }
  }
  if (problems.length > 0) {
    failed = true;
    console.error(`k8s/overlays/${overlay}: ${problems.length} problem(s)`);
    for (const problem of problems) console.error(`  ${problem}`);
  } else {
    console.log(`k8s/overlays/${overlay}: ${objects.length} objects pass the schema and policy checks`);
  }
}
// The C++ sources, where every metric is declared by name.
const sourceText = ['libs', 'services', 'gateway']
  .flatMap((folder) => readdirSync(path.join(top, folder), { recursive: true }).map((file) => path.join(top, folder, file)))
  .filter((file) => file.endsWith('.cc'))
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');
const monitoring = monitoringProblems(
  parse(readFileSync(path.join(top, 'k8s/monitoring/alerts.yaml'), 'utf8')),
  JSON.parse(readFileSync(path.join(top, 'k8s/monitoring/dashboard.json'), 'utf8')),
  sourceText,
);
if (monitoring.length > 0) {
  failed = true;
  console.error(`k8s/monitoring: ${monitoring.length} problem(s)`);
  for (const problem of monitoring) console.error(`  ${problem}`);
} else {
  console.log('k8s/monitoring: every alert and panel uses declared metrics');
}

process.exit(failed ? 1 : 0);

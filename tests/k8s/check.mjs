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
// The built binaries, whose --help lists the settings they read.
const binDir = process.env.PP_BIN_DIR ?? path.join(top, 'build', 'bin');
let failed = false;

// Returns each setting's environment variable in a binary's --help, with
// whether the help calls it required.
const helpCache = new Map();
function settingsOf(command) {
  if (!helpCache.has(command)) {
    const help = execFileSync(path.join(binDir, command), ['--help'], { encoding: 'utf8' });
    const settings = new Map();
    let last = null;
    for (const line of help.split('\n')) {
      const declared = line.match(/^ {2}--\w+, (PP_\w+),/);
      if (declared) {
        last = declared[1];
        settings.set(last, false);
      } else if (last && /\brequired\b/.test(line)) {
        settings.set(last, true);
      }
    }
    helpCache.set(command, settings);
  }
  return helpCache.get(command);
}

// Lists the ConfigMap keys a container's binary does not read, and the
// settings its help calls required that no ConfigMap sets.
function settingsProblems(objects) {
  const configMaps = new Map(objects.filter((object) => object.kind === 'ConfigMap')
    .map((object) => [object.metadata.name, object.data ?? {}]));
  const problems = [];
  for (const object of objects) {
    for (const container of object.spec?.template?.spec?.containers ?? []) {
      const name = `${object.kind}/${object.metadata.name}`;
      let settings;
      try {
        settings = settingsOf(container.command[0]);
      } catch (error) {
        problems.push(`${name}: cannot read the settings of ${container.command[0]} in ${binDir} ` +
          `(build it first, or set PP_BIN_DIR): ${error.message}`);
        continue;
      }
      const set = new Set();
      for (const source of container.envFrom ?? []) {
        for (const key of Object.keys(configMaps.get(source.configMapRef?.name) ?? {})) {
          set.add(key);
          if (!settings.has(key)) {
            problems.push(`${name}: ${key} in ${source.configMapRef.name} is not a setting of ` +
              `${container.command[0]} (see its --help)`);
          }
        }
      }
      for (const [key, required] of settings) {
        if (required && !set.has(key)) {
          problems.push(`${name}: ${container.command[0]} requires ${key}, and no ConfigMap sets it`);
        }
      }
    }
  }
  return problems;
}

for (const overlay of overlays) {
  const directory = path.join(top, 'k8s', 'overlays', overlay);
  const built = execFileSync('kubectl', ['kustomize', directory], { encoding: 'utf8' });
  const objects = parseAllDocuments(built).map((document) => document.toJSON()).filter(Boolean);
  // kustomize wraps a long base64 value over lines, which Kubernetes reads
  // as one, but the schema's "byte" format does not allow line breaks.
  for (const object of objects) {
    if (object.kind !== 'Secret') continue;
    for (const key of Object.keys(object.data ?? {})) {
      object.data[key] = object.data[key].replace(/\s/g, '');
    }
  }
  const problems = [...schemaProblems(objects), ...policyProblems(objects),
    ...settingsProblems(objects)];
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

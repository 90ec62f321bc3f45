// The checks must be able to fail: each broken object below is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitoringProblems, policyProblems, schemaProblems } from './policy.mjs';

function workload(overrides = {}) {
  const container = {
    name: 'app',
    image: 'registry.example.invalid/app:1.0.0',
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
    livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '1', memory: '64Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    ...overrides.container,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app' },
    spec: {
      selector: { matchLabels: { app: 'app' } },
      template: {
        metadata: { labels: { app: 'app' } },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [container],
        },
      },
    },
  };
}

const policy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'app' },
  spec: { podSelector: { matchLabels: { app: 'app' } }, policyTypes: ['Ingress'] },
};

const service = (targetPort) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'app' },
  spec: { selector: { app: 'app' }, ports: [{ name: 'http', port: 80, targetPort }] },
});

test('a compliant set has no problems', () => {
  const objects = [workload(), policy, service('http')];
  assert.deepEqual(schemaProblems(objects), []);
  assert.deepEqual(policyProblems(objects), []);
});

test('a wrongly typed field fails the schema', () => {
  const broken = workload();
  broken.spec.replicas = 'two';
  assert.equal(schemaProblems([broken]).length, 1);
});

test('missing probes, resources and hardening are each reported', () => {
  const broken = workload({
    container: { readinessProbe: undefined, resources: {}, securityContext: {}, image: 'app:latest' },
  });
  const problems = policyProblems([broken, policy]).join('\n');
  assert.match(problems, /no readiness probe/);
  assert.match(problems, /no memory limit/);
  assert.match(problems, /root file system is not read-only/);
  assert.match(problems, /capabilities are not all dropped/);
  assert.match(problems, /has no fixed tag/);
});

test('a pod without its own NetworkPolicy is reported', () => {
  assert.match(policyProblems([workload()]).join('\n'), /no NetworkPolicy selects its pods/);
});

test('a Service port without a matching container port is reported', () => {
  assert.match(policyProblems([workload(), policy, service('grpc')]).join('\n'), /which no container exposes/);
});

test('an alert on an undeclared metric is reported', () => {
  const rules = { groups: [{ rules: [{ alert: 'A', expr: 'sum(pp_made_up_total) > 0', labels: { severity: 'page' }, annotations: { summary: 's' } }] }] };
  const dashboard = { panels: [{ title: 'P', targets: [{ expr: 'rate(grpc_server_handling_seconds_bucket[5m])' }] }] };
  const problems = monitoringProblems(rules, dashboard, '"grpc_server_handling_seconds"');
  assert.deepEqual(problems, ['A: metric pp_made_up_total is not declared in the sources']);
});

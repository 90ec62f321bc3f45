// Policy checks for Kubernetes objects, as a platform team's admission
// policies would apply them. Each function returns a list of problems.
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';

const modelsByApiVersion = {
  v1: core,
  'apps/v1': apps,
  'autoscaling/v2': autoscaling,
  'networking.k8s.io/v1': networking,
  'policy/v1': policy,
};

const workloadKinds = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

function describe(object) {
  return `${object.kind}/${object.metadata?.name}`;
}

// Validates each object against the Kubernetes schema of its kind.
export function schemaProblems(objects) {
  const problems = [];
  for (const object of objects) {
    const Model = modelsByApiVersion[object.apiVersion]?.[object.kind];
    if (!Model) {
      problems.push(`${describe(object)}: no schema known for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${describe(object)}: ${error.message}`);
    }
  }
  return problems;
}

function selects(selector, labels) {
  const wanted = selector?.matchLabels ?? {};
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

function containerProblems(owner, pod) {
  const problems = [];
  const podSecurity = pod.securityContext ?? {};
  if (podSecurity.runAsNonRoot !== true) problems.push(`${owner}: pod does not set runAsNonRoot`);
  if (podSecurity.seccompProfile?.type !== 'RuntimeDefault') {
    problems.push(`${owner}: pod seccomp profile is not RuntimeDefault`);
  }
  for (const container of pod.containers ?? []) {
    const where = `${owner} container ${container.name}`;
    if (!container.readinessProbe) problems.push(`${where}: no readiness probe`);
    if (!container.livenessProbe) problems.push(`${where}: no liveness probe`);
    for (const kind of ['requests', 'limits']) {
      for (const resource of ['cpu', 'memory']) {
        if (!container.resources?.[kind]?.[resource]) {
          problems.push(`${where}: no ${resource} ${kind.replace(/s$/, '')}`);
        }
      }
    }
    const security = container.securityContext ?? {};
    if (security.allowPrivilegeEscalation !== false) {
      problems.push(`${where}: privilege escalation is not disabled`);
    }
    if (security.readOnlyRootFilesystem !== true) {
      problems.push(`${where}: root file system is not read-only`);
    }
    if (!(security.capabilities?.drop ?? []).includes('ALL')) {
      problems.push(`${where}: capabilities are not all dropped`);
    }
    const image = container.image ?? '';
    const tag = image.includes('@') ? 'digest' : image.split('/').pop().split(':')[1];
    if (!tag || tag === 'latest') problems.push(`${where}: image "${image}" has no fixed tag`);
  }
  return problems;
}

// Checks workloads, Services, NetworkPolicies and autoscaling objects.
export function policyProblems(objects) {
  const problems = [];
  const workloads = objects.filter((object) => workloadKinds.has(object.kind));
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy');

  for (const workload of workloads) {
    const owner = describe(workload);
    const template = workload.spec?.template ?? {};
    const labels = template.metadata?.labels ?? {};
    problems.push(...containerProblems(owner, template.spec ?? {}));

    // A policy naming the pod, beyond the namespace-wide deny.
    const covered = policies.some((item) => {
      const selector = item.spec?.podSelector ?? {};
      return Object.keys(selector.matchLabels ?? {}).length > 0 && selects(selector, labels);
    });
    if (!covered) problems.push(`${owner}: no NetworkPolicy selects its pods`);
    if ((template.spec?.terminationGracePeriodSeconds ?? 30) < 15) {
      problems.push(`${owner}: termination grace period is shorter than the 10-second drain`);
    }
  }

  for (const service of objects.filter((object) => object.kind === 'Service')) {
    const targets = workloads.filter((workload) =>
      selects({ matchLabels: service.spec?.selector }, workload.spec?.template?.metadata?.labels ?? {}),
    );
    if (targets.length === 0) {
      problems.push(`${describe(service)}: selects no workload`);
      continue;
    }
    const containerPorts = targets.flatMap((workload) =>
      (workload.spec.template.spec.containers ?? []).flatMap((container) => container.ports ?? []),
    );
    for (const port of service.spec?.ports ?? []) {
      if (!port.name) problems.push(`${describe(service)}: port ${port.port} has no name`);
      const target = port.targetPort ?? port.port;
      const found = containerPorts.some((item) =>
        typeof target === 'string' ? item.name === target : item.containerPort === target,
      );
      if (!found) problems.push(`${describe(service)}: port ${port.name} targets ${target}, which no container exposes`);
    }
  }

  for (const object of objects.filter((item) => ['HorizontalPodAutoscaler', 'PodDisruptionBudget'].includes(item.kind))) {
    const matches =
      object.kind === 'HorizontalPodAutoscaler'
        ? workloads.some((workload) => workload.kind === object.spec.scaleTargetRef.kind && workload.metadata.name === object.spec.scaleTargetRef.name)
        : workloads.some((workload) => selects(object.spec.selector, workload.spec.template.metadata.labels ?? {}));
    if (!matches) problems.push(`${describe(object)}: refers to no workload`);
  }
  return problems;
}

// Returns the metric names an expression uses, without histogram suffixes.
export function metricNames(expression) {
  const names = expression.match(/\b(?:pp|grpc_server)_[a-z_]+/g) ?? [];
  return [...new Set(names.map((name) => name.replace(/_(bucket|count|sum)$/, '')))];
}

// Checks alert rules and dashboard queries: each rule is complete, and each
// metric they use is declared somewhere in `sourceText` (the C++ sources),
// so a renamed metric cannot leave an alert that never fires.
export function monitoringProblems(ruleFile, dashboard, sourceText) {
  const problems = [];
  const expressions = [];
  for (const group of ruleFile.groups ?? []) {
    for (const rule of group.rules ?? []) {
      const name = rule.alert ?? '(unnamed rule)';
      if (!rule.alert) problems.push(`${name}: no alert name`);
      if (!rule.expr) problems.push(`${name}: no expression`);
      if (!rule.labels?.severity) problems.push(`${name}: no severity label`);
      if (!rule.annotations?.summary) problems.push(`${name}: no summary`);
      if (rule.expr) expressions.push([name, rule.expr]);
    }
  }
  for (const panel of dashboard.panels ?? []) {
    for (const target of panel.targets ?? []) expressions.push([`panel "${panel.title}"`, target.expr]);
  }
  for (const [where, expression] of expressions) {
    for (const metric of metricNames(expression)) {
      if (!sourceText.includes(`"${metric}"`)) problems.push(`${where}: metric ${metric} is not declared in the sources`);
    }
  }
  return problems;
}

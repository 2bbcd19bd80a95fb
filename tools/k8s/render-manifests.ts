// Renders a kustomize overlay and validates objects against schemas: kubernetes-models for core
// kinds, the operators' published CRD schemas (read from /work/shared/crds-like folders, never
// copied into the repository) for Strimzi and CloudNativePG kinds.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isK8sObject(value: unknown): value is K8sObject {
  return (
    isRecord(value) &&
    typeof value.apiVersion === 'string' &&
    typeof value.kind === 'string' &&
    isRecord(value.metadata) &&
    typeof value.metadata.name === 'string'
  );
}

export function renderOverlay(repoRoot: string, overlay: string): K8sObject[] {
  return parseObjects(kustomize(join(repoRoot, 'deploy/k8s/overlays', overlay)));
}

/** `kubectl kustomize <dir>`: the rendered YAML, or an error with kubectl's own message. */
export function kustomize(dir: string): string {
  try {
    return execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    if (isRecord(error) && error.code === 'ENOENT') {
      throw new Error('kubectl is not on PATH: install kubectl (>= 1.27, with kustomize built in)');
    }
    const stderr = isRecord(error) ? String(error.stderr) : String(error);
    throw new Error(`kubectl kustomize ${dir} failed:\n${stderr}`);
  }
}

export function parseObjects(output: string): K8sObject[] {
  return parseAllDocuments(output).map((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    const value: unknown = doc.toJS();
    if (!isK8sObject(value)) throw new Error(`not a Kubernetes object: ${JSON.stringify(value)}`);
    return value;
  });
}

/** `group/version/Kind` -> a validator of that CRD version's OpenAPI v3 schema. */
export type CrdValidators = Map<string, ValidateFunction>;

/**
 * Compiles every CustomResourceDefinition in `dir` (one or more per YAML file). Returns undefined
 * when the folder does not exist, so callers can say they skipped the CRD check.
 */
export function loadCrdValidators(dir: string): CrdValidators | undefined {
  if (!existsSync(dir)) return undefined;
  // OpenAPI v3 as Kubernetes uses it: x-kubernetes-* keywords and int32/int64 formats.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validators: CrdValidators = new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd: unknown = doc.toJS();
      if (!isRecord(crd) || crd.kind !== 'CustomResourceDefinition' || !isRecord(crd.spec))
        continue;
      const spec = crd.spec as {
        group: string;
        names: { kind: string };
        versions: Array<{ name: string; schema?: { openAPIV3Schema?: object } }>;
      };
      for (const version of spec.versions) {
        const schema = version.schema?.openAPIV3Schema;
        if (!schema) continue;
        validators.set(`${spec.group}/${version.name}/${spec.names.kind}`, ajv.compile(schema));
      }
    }
  }
  return validators;
}

/** Schema errors of `obj` against its CRD, or undefined when no CRD of that version is known. */
export function crdErrors(validators: CrdValidators, obj: K8sObject): string[] | undefined {
  const validate = validators.get(`${obj.apiVersion}/${obj.kind}`);
  if (!validate) return undefined;
  if (validate(obj)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

export function readYamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as unknown);
}

export function readYaml(path: string): unknown {
  return parse(readFileSync(path, 'utf8'));
}

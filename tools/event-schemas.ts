// The event contracts of libs/contracts as data, so CI can compare them with their committed
// snapshot (libs/contracts/event-schemas.snapshot.json): a change is a reviewed diff, and a change
// a consumer of the same version could not read needs a new version instead.
import 'reflect-metadata';
import { CurrentEvents, PreviousEvents } from '@rewards/contracts';

// The decorators' metadata: class-validator and class-transformer keep it in storages their
// indexes do not export.
/* eslint-disable @typescript-eslint/no-require-imports */
const { getMetadataStorage } = require('class-validator/cjs/metadata/MetadataStorage') as {
  getMetadataStorage(): {
    getTargetValidationMetadatas(
      target: object,
      schema: string,
      always: boolean,
      strictGroups: boolean,
    ): Array<{
      type: string;
      name?: string;
      propertyName: string;
      constraints?: unknown[];
      each?: boolean;
    }>;
  };
};
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: {
    findTypeMetadata(target: object, property: string): { typeFunction: () => unknown } | undefined;
  };
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** One field: its rules (sorted) and, for a nested object, its own fields. */
export interface FieldSchema {
  rules: string[];
  fields?: Record<string, FieldSchema>;
}

export type EventSchemas = Record<string, Record<string, FieldSchema>>;

type Constructor = new () => object;

const constraintText = (c: unknown): string =>
  typeof c === 'function' ? 'fn' : c instanceof RegExp ? String(c) : JSON.stringify(c);

function describeClass(
  cls: Constructor,
  seen: readonly Constructor[] = [],
): Record<string, FieldSchema> {
  if (seen.includes(cls)) throw new Error(`${cls.name} contains itself`);
  const byField = new Map<string, string[]>();
  for (const m of getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false)) {
    const name = m.name ?? m.type;
    const args = (m.constraints ?? []).map(constraintText).join(', ');
    const rule = `${name}${args === '' ? '' : `(${args})`}${m.each ? '[each]' : ''}`;
    byField.set(m.propertyName, [...(byField.get(m.propertyName) ?? []), rule]);
  }
  const fields: Record<string, FieldSchema> = {};
  for (const field of [...byField.keys()].sort()) {
    const rules = [...new Set(byField.get(field))].sort();
    const nested = defaultMetadataStorage.findTypeMetadata(cls, field)?.typeFunction();
    fields[field] =
      typeof nested === 'function' && rules.some((r) => r.startsWith('nestedValidation'))
        ? { rules, fields: describeClass(nested as Constructor, [...seen, cls]) }
        : { rules };
  }
  return fields;
}

/** Every version consumers can read, keyed `type@version`. */
export function currentEventSchemas(): EventSchemas {
  const versions = [
    ...Object.entries(CurrentEvents).map(([type, v]) => ({ type, ...v })),
    ...PreviousEvents,
  ];
  const schemas: EventSchemas = {};
  for (const v of versions.sort((a, b) =>
    `${a.type}@${a.version}`.localeCompare(`${b.type}@${b.version}`),
  )) {
    schemas[`${v.type}@${v.version}`] = describeClass(v.payload);
  }
  return schemas;
}

// A field a reader of the same version may go without: optional, or checked only when present.
// (@IsOptional is a conditional validation named isOptional; @ValidateIf has no name.)
const isOptional = (field: FieldSchema) =>
  field.rules.some((r) => r.startsWith('conditionalValidation') || r.startsWith('isOptional('));

function fieldBreaks(
  path: string,
  before: FieldSchema,
  after: FieldSchema | undefined,
  out: string[],
): void {
  if (after === undefined) {
    out.push(`${path} was removed`);
    return;
  }
  if (JSON.stringify(before.rules) !== JSON.stringify(after.rules)) {
    out.push(`${path} rules changed: ${before.rules.join(' ')} -> ${after.rules.join(' ')}`);
  }
  if (before.fields || after.fields) {
    objectBreaks(path, before.fields ?? {}, after.fields ?? {}, out);
  }
}

function objectBreaks(
  path: string,
  before: Record<string, FieldSchema>,
  after: Record<string, FieldSchema>,
  out: string[],
): void {
  for (const [name, field] of Object.entries(before)) {
    fieldBreaks(path ? `${path}.${name}` : name, field, after[name], out);
  }
  for (const [name, field] of Object.entries(after)) {
    if (!(name in before) && !isOptional(field)) {
      out.push(`${path ? `${path}.${name}` : name} is new and required`);
    }
  }
}

export interface ContractChanges {
  /** Changes that break readers of a version already published: each needs a new version. */
  incompatible: string[];
  /** Versions (or optional fields) added or removed since the snapshot: commit the snapshot. */
  unreviewed: string[];
}

/**
 * Compares the contracts with their snapshot. A published version may only gain optional
 * fields (readers tolerate unknown fields); anything else must be a new version beside it.
 */
export function compareEventSchemas(
  snapshot: EventSchemas,
  current: EventSchemas,
): ContractChanges {
  const incompatible: string[] = [];
  const unreviewed: string[] = [];
  for (const [version, fields] of Object.entries(snapshot)) {
    const now = current[version];
    if (now === undefined) {
      unreviewed.push(`${version} is no longer readable`);
      continue;
    }
    const breaks: string[] = [];
    objectBreaks('', fields, now, breaks);
    incompatible.push(...breaks.map((b) => `${version}: ${b}`));
    if (breaks.length === 0 && JSON.stringify(fields) !== JSON.stringify(now)) {
      unreviewed.push(`${version} gained optional fields`);
    }
  }
  for (const version of Object.keys(current)) {
    if (!(version in snapshot)) unreviewed.push(`${version} is new`);
  }
  return { incompatible, unreviewed };
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  compareEventSchemas,
  currentEventSchemas,
  type EventSchemas,
  type FieldSchema,
} from './event-schemas';

const SNAPSHOT = join(__dirname, '../libs/contracts/event-schemas.snapshot.json');

// CI gate: an event contract changes only with a reviewed snapshot diff, and a published version
// never changes in a way its readers could not follow.
describe('event contracts against libs/contracts/event-schemas.snapshot.json', () => {
  const snapshot = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as EventSchemas;
  const current = currentEventSchemas();

  it('changes no published version incompatibly (publish a new version beside it instead)', () => {
    expect(compareEventSchemas(snapshot, current).incompatible).toEqual([]);
  });

  it('matches the snapshot (run npm run generate:event-schemas and commit the diff)', () => {
    expect(compareEventSchemas(snapshot, current).unreviewed).toEqual([]);
    expect(current).toEqual(snapshot);
  });

  it('describes every readable version with its nested objects', () => {
    expect(Object.keys(current)).toEqual(
      expect.arrayContaining(['lesson-completed@1', 'lesson-completed@2', 'reward-voided@2']),
    );
    const discount = current['referral-attributed@2'].refereeDiscount;
    expect(discount.rules).toEqual(expect.arrayContaining(['nestedValidation']));
    expect(Object.keys(discount.fields ?? {})).toEqual(['amount', 'minimumLessonPrice']);
    expect(discount.fields?.amount.fields?.amountCents.rules).toEqual(['isInt', 'min(0)']);
  });
});

describe(compareEventSchemas.name, () => {
  const field = (...rules: string[]): FieldSchema => ({ rules });
  const published: EventSchemas = {
    'thing-happened@1': {
      id: field('isUuid'),
      amount: { rules: ['nestedValidation'], fields: { cents: field('isInt', 'min(0)') } },
    },
  };
  const withV1 = (fields: Record<string, FieldSchema>): EventSchemas => ({
    'thing-happened@1': fields,
  });

  it('accepts the same contracts', () => {
    expect(compareEventSchemas(published, published)).toEqual({ incompatible: [], unreviewed: [] });
  });

  it('refuses a removed field, a changed rule and a new required field, nested ones too', () => {
    const changed = withV1({
      amount: { rules: ['nestedValidation'], fields: { cents: field('isInt') } },
      reason: field('isString'),
    });
    expect(compareEventSchemas(published, changed).incompatible).toEqual([
      'thing-happened@1: id was removed',
      'thing-happened@1: amount.cents rules changed: isInt min(0) -> isInt',
      'thing-happened@1: reason is new and required',
    ]);
  });

  it('lets a version gain an optional field, as an unreviewed change to commit', () => {
    const gained = withV1({
      ...published['thing-happened@1'],
      note: field('conditionalValidation(fn)', 'isString'),
      // What @IsOptional() describes as.
      tag: field('isOptional(fn)', 'matches(/^[A-Z]+$/)'),
    });
    expect(compareEventSchemas(published, gained)).toEqual({
      incompatible: [],
      unreviewed: ['thing-happened@1 gained optional fields'],
    });
  });

  it('reports a new version and one no longer readable', () => {
    const next = { 'thing-happened@2': published['thing-happened@1'] };
    expect(compareEventSchemas(published, next)).toEqual({
      incompatible: [],
      unreviewed: ['thing-happened@1 is no longer readable', 'thing-happened@2 is new'],
    });
  });
});

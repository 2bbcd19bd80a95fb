/**
 * What config classes read and check their variables with, beyond class-validator's own: strings
 * turned into numbers and booleans, and one variable bounded by another.
 */
import { Transform } from 'class-transformer';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

/** The property must be at least another numeric property of the same object. */
export function IsAtLeast(other: string, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isAtLeast',
      target: target.constructor,
      propertyName,
      constraints: [other],
      options: { message: `$property must be at least ${other}`, ...options },
      validator: {
        validate: (value: unknown, args: ValidationArguments) => {
          const bound = (args.object as Record<string, unknown>)[other];
          return typeof value === 'number' && typeof bound === 'number' && value >= bound;
        },
      },
    });
}

export const toInt = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value));

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  false: false,
  '0': false,
  no: false,
};

/** Reads true/false/1/0/yes/no; anything else stays a string so @IsBoolean refuses a typo. */
export const toBool = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? (BOOLEAN_WORDS[value.toLowerCase()] ?? value) : value,
  );

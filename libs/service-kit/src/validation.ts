import { ValidationError, ValidationPipe } from '@nestjs/common';
import { PlatformError } from './errors';

function firstProblem(errors: ValidationError[], prefix = ''): { field: string; message: string } {
  const [first] = errors;
  const field = prefix ? `${prefix}.${first.property}` : first.property;
  if (first.children && first.children.length > 0 && !first.constraints) {
    return firstProblem(first.children, field);
  }
  const constraints = first.constraints ?? {};
  if (constraints.whitelistValidation) return { field, message: `unknown field '${field}'` };
  return { field, message: Object.values(constraints).join(', ') || `invalid field '${field}'` };
}

/** Unknown fields and invalid values are refused with 422 VALIDATION_FAILED and the field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    exceptionFactory: (errors) => {
      const { field, message } = firstProblem(errors);
      return new PlatformError('VALIDATION_FAILED', message, field);
    },
  });
}

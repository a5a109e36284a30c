import { DomainError } from '../domain/errors.js';
import type { Money } from '../domain/policy.js';

export interface FieldError {
  path: string;
  message: string;
}

/** The `validation_failed` error of one field. */
export function validation(path: string, message: string): DomainError {
  return new DomainError('validation_failed', `${path.slice(1)} ${message}`, { errors: [{ path, message }] });
}

/** Every invalid field of a body is reported at once (API.md), so checks collect before throwing. */
export function throwIfAny(errors: FieldError[]): void {
  if (errors.length === 0) return;
  const detail = errors.length === 1 ? `${errors[0]!.path.slice(1)} ${errors[0]!.message}` : `${errors.length} invalid fields`;
  throw new DomainError('validation_failed', detail, { errors });
}

/** Runs a check that throws a single-field `validation_failed` (sign-up.ts style) and keeps its errors. */
export function collect(errors: FieldError[], check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof DomainError && error.code === 'validation_failed' && Array.isArray(error.extra.errors)) {
      errors.push(...(error.extra.errors as FieldError[]));
    } else {
      throw error;
    }
  }
}

/** A practice has one currency; money sent to it in any other is refused, naming the field. */
export function currencyErrors(currency: string, fields: Record<string, Money | null | undefined>): FieldError[] {
  return Object.entries(fields)
    .filter(([, money]) => money != null && money.currency !== currency)
    .map(([path, money]) => ({ path: `${path}/currency`, message: `must be the practice's currency ${currency}, not ${money!.currency}` }));
}

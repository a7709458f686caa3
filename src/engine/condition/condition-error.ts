/**
 * Errors of the condition language. Every error points into the text it came
 * from: `origin` is the opaque object the caller passed to parseCondition (a
 * rule's or macro's condition, an exception...), `start`/`end` are offsets into
 * that text. The rule loader turns origin + offset into file:line:col.
 */

/** Opaque to the condition module: the rule loader decides what it holds. */
export type Origin = object;

export class ConditionError extends Error {
  override readonly name = 'ConditionError';
  constructor(
    message: string,
    readonly origin: Origin,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

export * from './ast.js';
export { ConditionError, type Origin } from './condition-error.js';
export { parseCondition, MAX_DEPTH } from './parse.js';
export { compileCondition, type CompileContext, type CompiledCondition } from './compile-condition.js';
export { TRANSFORM } from './transformers.js';

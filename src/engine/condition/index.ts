export * from './ast.js';
export { ConditionError, type Origin } from './errors.js';
export { parseCondition, MAX_DEPTH } from './parse.js';
export { compileCondition, type CompileContext, type CompiledCondition } from './compile.js';
export { TRANSFORM } from './transformers.js';

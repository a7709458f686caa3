/**
 * Generated condition code. A compiled condition is one JavaScript function
 * whose body is a single expression over the event: V8 then keeps type
 * feedback per rule and inlines its field reads and tests, where a tree of
 * closures made from a few shared function literals left every call site
 * megamorphic (one feedback vector for all rules).
 *
 * Safety: a rule file must not be able to inject code. The only text written
 * into the code is structure (`&&`, `||`, `!`, `===`, `.has(`...) and the
 * names of constants `k0..kN`; every value from a rule (strings, list items,
 * patterns, numbers) and every getter or predicate is a constant handed to the
 * generated function as data. `build` refuses code holding anything else.
 */
import type { VigilEvent } from '../../event/types.js';

/** Tokens generated code may consist of: anything else means a value leaked into the code. */
const TOKEN =
  /\s+|k\d+\b|(?:ev|v|undefined|has|length|includes|startsWith|endsWith|0)\b|!==|===|&&|\|\||[()!.=]/y;

/** True when `code` consists of the tokens the compiler writes, and nothing else. */
export function isGeneratedCode(code: string): boolean {
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < code.length) {
    const at = TOKEN.lastIndex;
    if (!TOKEN.test(code) || TOKEN.lastIndex === at) return false;
  }
  return true;
}

export class Emitter {
  private readonly values: unknown[] = [];
  private readonly names = new Map<unknown, string>();

  /** The name under which the generated code reads `value` (the same value, the same name). */
  ref(value: unknown): string {
    let name = this.names.get(value);
    if (name === undefined) {
      name = `k${this.values.length}`;
      this.values.push(value);
      this.names.set(value, name);
    }
    return name;
  }

  /** The function evaluating the boolean expression `code` on an event. */
  build(code: string): (ev: VigilEvent) => boolean {
    if (!isGeneratedCode(code))
      throw new Error(`internal error: generated condition code is not well-formed`);
    const bind = this.values.map((_, i) => `k${i} = K[${i}]`).join(', ');
    // The constants become slots of the closure's context: read like locals, never re-parsed.
    const make = new Function(
      'K',
      `'use strict';\n${bind ? `const ${bind};\n` : ''}return function condition(ev) {\n  let v;\n  return ${code};\n};`,
    ) as (constants: readonly unknown[]) => (ev: VigilEvent) => boolean;
    return make(this.values);
  }
}

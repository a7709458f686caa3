/** Polls until a condition holds (no timing assertions: the test's own timeout bounds it). */
export async function waitFor(cond: () => boolean | Promise<boolean>, everyMs = 20): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, everyMs));
}

import assert from 'node:assert/strict';

/** Asserts that `f` throws an instance of `type` whose message is exactly `message`. */
export function refuses(f: () => unknown, type: abstract new (...args: never[]) => Error, message: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof type, `expected a ${type.name}, got ${String(e)}`);
    assert.equal((e as Error).message, message);
    return true;
  });
}

/** A mistake in how the CLI was called: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A failure the user can act on from its message alone (the native core cannot load, a file
 * cannot be written): printed without a stack trace, exit code 1.
 */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}
